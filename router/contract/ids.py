"""Deterministic ids for the events the router emits.

Kafka redelivers inputs (at least once); the router must then re-emit the very same
outputs, ids included, so downstream consumers can deduplicate by id. Output ids are
therefore a pure function of what caused them: UUIDv5 (SHA-1, RFC 9562) over the input
event id, the kind of output and its index among the outputs of that kind.
"""

from __future__ import annotations

import hashlib
import uuid

NAMESPACE = uuid.UUID("3fd26afb-c746-5ecc-b46f-fe3dc3916ff5")
"""uuid5(NAMESPACE_URL, 'urn:router:contract:event-id'); never change it."""

_SEP = "\x1f"  # unit separator: cannot be confused with characters of ordinary ids


def derive_id(input_event_id: str, kind: str, index: int = 0) -> str:
    """Id of the `index`-th output of `kind` (usually the output event type, e.g.
    `offer.issued`) caused by the input event `input_event_id`.

    Like input ids, derived ids are unique within a tenant. Timer-driven outputs (offer
    expiry, TTL, time-driven overflow) should derive from the id of the thing that timed
    out, e.g. `derive_id(offer_id, "offer.expired")`.
    """
    if index < 0:
        raise ValueError("index must be >= 0")
    return _uuid5(f"{input_event_id}{_SEP}{kind}{_SEP}{index}")


_NAMESPACE_BYTES = NAMESPACE.bytes


def _uuid5(name: str) -> str:
    """`str(uuid.uuid5(NAMESPACE, name))`, computed without building UUID objects: the
    router derives several ids per event, and the object route was a few percent of a
    worker's time. Same bytes, same text (tested against `uuid.uuid5`)."""
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + name.encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def record_id(topic: str, partition: int, offset: int, kind: str = "dead_letter") -> str:
    """Id of an output caused by a Kafka record rather than by a decoded event (dead
    letters): the record's coordinates are its identity across redeliveries."""
    return _uuid5(f"kafka{_SEP}{topic}{_SEP}{partition}{_SEP}{offset}{_SEP}{kind}")
