"""Dead letters: an input record the router cannot process, kept byte for byte.

Invariant 3: no input is lost. The consumer publishes this event to the dead-letter
topic (under the record's original key) and moves on; it never stops on bad input.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from router.contract.codec import DecodeError, encode
from router.contract.envelope import SCHEMA_VERSION, UNKNOWN_TENANT
from router.contract.ids import record_id
from router.contract.outputs import DeadLetter, DeadLetterData, Header

_TENANT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")
_MAX_REASON = 4096
_MAX_PATH = 1024
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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
) -> DeadLetter:
    """The dead-letter event for one rejected record.

    value, key, headers: the record exactly as consumed (value None for a tombstone).
    error: the DecodeError, or a reason string for failures past decoding.
    time: when it was rejected (default: now). timestamp_ms: the record's own timestamp.
    The id depends only on topic, partition and offset, so redelivery repeats it.
    """
    if isinstance(error, DecodeError):
        reason, path = error.reason, error.path
    else:
        reason, path = error, None
    reason = reason[:_MAX_REASON] or "unspecified"
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
            key=None if key is None else bytes(key),
            value=None if value is None else bytes(value),
            headers=[
                Header(key=k, value=None if v is None else bytes(v)) for k, v in headers or ()
            ],
            record_time=record_time,
        ),
    )


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
