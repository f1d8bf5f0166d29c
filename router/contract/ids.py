"""Deterministic ids for the events the router emits.

Kafka redelivers inputs (at least once); the router must then re-emit the very same
outputs, ids included, so downstream consumers can deduplicate by id. Output ids are
therefore a pure function of what caused them: UUIDv5 (SHA-1, RFC 9562) over the input
event id, the kind of output and its index among the outputs of that kind.
"""

from __future__ import annotations

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
    return str(uuid.uuid5(NAMESPACE, f"{input_event_id}{_SEP}{kind}{_SEP}{index}"))


def record_id(topic: str, partition: int, offset: int, kind: str = "dead_letter") -> str:
    """Id of an output caused by a Kafka record rather than by a decoded event (dead
    letters): the record's coordinates are its identity across redeliveries."""
    return str(
        uuid.uuid5(NAMESPACE, f"kafka{_SEP}{topic}{_SEP}{partition}{_SEP}{offset}{_SEP}{kind}")
    )
