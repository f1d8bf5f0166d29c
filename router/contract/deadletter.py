"""Dead letters: an input record the router cannot process, kept byte for byte.

Invariant 3: no input is lost. The consumer publishes this event to the dead-letter
topic (under the record's original key) and moves on; it never stops on bad input. A
record too large to be kept whole goes without the parts that do not fit, named in the
letter, with where to read them (`dead_letter_record`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from router.contract.codec import DecodeError, encode
from router.contract.envelope import SCHEMA_VERSION, UNKNOWN_TENANT
from router.contract.ids import record_id
from router.contract.outputs import DeadLetter, DeadLetterData, Header, OmittedPart

_TENANT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")
_MAX_REASON = 4096
_MAX_PATH = 1024
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_PARTS: tuple[OmittedPart, ...] = ("value", "headers", "key")
"""What a dead letter may leave out, in the order it does."""


def tenant_from_key(key: bytes | None, known_tenants: frozenset[str] | None = None) -> str:
    """The tenant part of a `tenant/id` key, or `UNKNOWN_TENANT` when it cannot be read
    (no key, not UTF-8, malformed, or not among `known_tenants`)."""
    if not key:
        return UNKNOWN_TENANT
    head = key.split(b"/", 1)[0]
    try:
        tenant = head.decode("utf-8")
    except UnicodeDecodeError:
        return UNKNOWN_TENANT
    if not _TENANT.match(tenant) or tenant == UNKNOWN_TENANT:
        return UNKNOWN_TENANT
    if known_tenants is not None and tenant not in known_tenants:
        return UNKNOWN_TENANT
    return tenant


def dead_letter(
    value: bytes | None,
    key: bytes | None,
    headers: Sequence[tuple[str, bytes | None]] | None,
    topic: str,
    partition: int,
    offset: int,
    error: DecodeError | str,
    *,
    time: datetime | None = None,
    timestamp_ms: int | None = None,
    source: str = "router",
    known_tenants: frozenset[str] | None = None,
    omit: Sequence[OmittedPart] = (),
) -> DeadLetter:
    """The dead-letter event for one rejected record.

    value, key, headers: the record exactly as consumed (value None for a tombstone).
    error: the DecodeError, or a reason string for failures past decoding.
    time: when it was rejected (default: now). timestamp_ms: the record's own timestamp.
    omit: parts of the record left out (see `dead_letter_record`); the reason says their
    sizes and where to read them.
    The id depends only on topic, partition and offset, so redelivery repeats it.
    """
    if isinstance(error, DecodeError):
        reason, path = error.reason, error.path
    else:
        reason, path = error, None
    reason = reason or "unspecified"
    if omit:
        note = _omission_note(omit, value, key, headers, topic, partition, offset)
        reason = reason[:_MAX_REASON - len(note)] + note
    reason = reason[:_MAX_REASON]
    if path is not None:
        path = path[:_MAX_PATH]
    when = (time or datetime.now(UTC)).astimezone(UTC)
    record_time = None if timestamp_ms is None else _EPOCH + timedelta(milliseconds=timestamp_ms)
    return DeadLetter(
        id=record_id(topic, partition, offset),
        tenant=tenant_from_key(key, known_tenants),
        time=when,
        source=source,
        subject=f"{topic}/{partition}/{offset}",
        schema_version=SCHEMA_VERSION,
        data=DeadLetterData(
            reason=reason,
            path=path,
            topic=topic,
            partition=partition,
            offset=offset,
            key=None if key is None or "key" in omit else bytes(key),
            value=None if value is None or "value" in omit else bytes(value),
            headers=[] if "headers" in omit else [
                Header(key=k, value=None if v is None else bytes(v)) for k, v in headers or ()
            ],
            record_time=record_time,
            omitted=[part for part in _PARTS if part in omit],
        ),
    )


def _omission_note(omit: Sequence[OmittedPart], value: bytes | None, key: bytes | None,
                   headers: Sequence[tuple[str, bytes | None]] | None, topic: str,
                   partition: int, offset: int) -> str:
    sizes = {"value": len(value or b""), "key": len(key or b""),
             "headers": _headers_size(headers)}
    parts = ", ".join(f"{part} ({sizes[part]:,} bytes)" for part in _PARTS if part in omit)
    return (f"; left out, too large for a dead letter: {parts}; read the record at "
            f"{topic} partition {partition} offset {offset} while that topic retains it")


def _headers_size(headers: Sequence[tuple[str, bytes | None]] | None) -> int:
    return sum(len(k.encode()) + len(v or b"") for k, v in headers or ())


@dataclass(frozen=True)
class DeadLetterRecord:
    """What to publish on the dead-letter topic for one rejected record."""

    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes | None]]
    """The original record's headers, as Kafka headers too (none if they were left out)."""


def dead_letter_record(
    value: bytes | None,
    key: bytes | None,
    headers: Sequence[tuple[str, bytes | None]] | None,
    topic: str,
    partition: int,
    offset: int,
    error: DecodeError | str,
    *,
    max_bytes: int,
    time: datetime | None = None,
    timestamp_ms: int | None = None,
    source: str = "router",
    known_tenants: frozenset[str] | None = None,
) -> DeadLetterRecord:
    """The dead-letter record for one rejected record, at most about `max_bytes` (key,
    value and headers) so the dead-letter topic and the producer take it.

    Why parts may be left out: a dead letter carries its record base64-encoded, 4/3 of
    its size, so an input topic whose limit was raised can hold records whose dead letter
    would be refused. A refused dead letter is not a lost record only if the consumer
    stops there, and then every worker stops at it in turn. Instead the value is left
    out first, then the headers, then the key, until the letter fits; the letter says
    which (`omitted`) and where the record is, while its topic retains it.
    """
    kept = list(headers or ())
    time = time or datetime.now(UTC)  # the same in every attempt
    present = {"value": value is not None, "headers": bool(kept), "key": key is not None}
    omit: list[OmittedPart] = []
    for part in (None, *(p for p in _PARTS if present[p])):
        if part is not None:
            omit.append(part)
        letter = encode(dead_letter(value, key, kept, topic, partition, offset, error,
                                    time=time, timestamp_ms=timestamp_ms, source=source,
                                    known_tenants=known_tenants, omit=omit))
        record_key = None if "key" in omit else key
        record_headers = [] if "headers" in omit else kept
        size = len(letter) + len(record_key or b"") + _headers_size(record_headers)
        if size <= max_bytes:
            break
    return DeadLetterRecord(record_key, letter, record_headers)


def dead_letter_bytes(
    value: bytes | None,
    key: bytes | None,
    headers: Sequence[tuple[str, bytes | None]] | None,
    topic: str,
    partition: int,
    offset: int,
    error: DecodeError | str,
    *,
    time: datetime | None = None,
    timestamp_ms: int | None = None,
    source: str = "router",
    known_tenants: frozenset[str] | None = None,
) -> bytes:
    """`dead_letter(...)` encoded for the dead-letter topic (publish under `key`)."""
    return encode(
        dead_letter(
            value,
            key,
            headers,
            topic,
            partition,
            offset,
            error,
            time=time,
            timestamp_ms=timestamp_ms,
            source=source,
            known_tenants=known_tenants,
        )
    )
