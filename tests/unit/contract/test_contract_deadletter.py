"""Dead letters keep the original record exactly and have a redelivery-stable id."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

from router.contract import (
    UNKNOWN_TENANT,
    DeadLetter,
    DeadLetterRecord,
    DecodeError,
    dead_letter,
    dead_letter_bytes,
    dead_letter_record,
    decode,
    tenant_from_key,
)

NOW = datetime(2025, 3, 1, 9, 31, tzinfo=UTC)
VALUE = b'{"type":"work_item.created","data":{"priority":"high"}}\x00\xff'
KEY = b"contoso/conv-1"
HEADERS = [("traceparent", b"00-abc-01"), ("binary", bytes(range(256))), ("empty", None)]


def _error() -> DecodeError:
    try:
        decode(VALUE)
    except DecodeError as exc:
        return exc
    raise AssertionError("expected a DecodeError")


def test_original_record_is_preserved_exactly() -> None:
    raw = dead_letter_bytes(
        VALUE,
        KEY,
        HEADERS,
        "router.work-items",
        2,
        1187,
        _error(),
        time=NOW,
        timestamp_ms=1740821460123,
    )
    event = decode(raw)
    assert isinstance(event, DeadLetter)
    assert event.data.value == VALUE
    assert event.data.key == KEY
    assert [(h.key, h.value) for h in event.data.headers] == HEADERS
    assert event.data.record_time == datetime(2025, 3, 1, 9, 31, 0, 123000, tzinfo=UTC)
    wire = json.loads(raw)
    assert base64.b64decode(wire["data"]["value"]) == VALUE
    assert base64.b64decode(wire["data"]["key"]) == KEY
    assert wire["data"]["topic"] == "router.work-items"
    assert (wire["data"]["partition"], wire["data"]["offset"]) == (2, 1187)
    assert wire["subject"] == "router.work-items/2/1187"
    assert wire["time"] == "2025-03-01T09:31:00Z"


def test_reason_and_path_come_from_the_decode_error() -> None:
    err = DecodeError("Expected int, got str", "data.priority")
    event = dead_letter(VALUE, KEY, None, "router.work-items", 0, 5, err, time=NOW)
    assert (event.data.reason, event.data.path) == ("Expected int, got str", "data.priority")
    event = dead_letter(VALUE, KEY, None, "router.work-items", 0, 5, "redis down", time=NOW)
    assert (event.data.reason, event.data.path) == ("redis down", None)
    assert event.data.headers == []


def test_id_depends_only_on_record_coordinates() -> None:
    first = dead_letter(VALUE, KEY, HEADERS, "router.agents", 1, 9, "x", time=NOW)
    again = dead_letter(b"other", None, None, "router.agents", 1, 9, "y")
    assert first.id == again.id
    assert first.id != dead_letter(VALUE, KEY, None, "router.agents", 1, 10, "x").id
    assert first.id != dead_letter(VALUE, KEY, None, "router.agents", 0, 9, "x").id
    assert first.id != dead_letter(VALUE, KEY, None, "router.offers", 1, 9, "x").id


def test_redelivery_gives_identical_bytes() -> None:
    args = (VALUE, KEY, HEADERS, "router.work-items", 2, 1187, _error())
    assert dead_letter_bytes(*args, time=NOW) == dead_letter_bytes(*args, time=NOW)


def test_tombstone_and_missing_key() -> None:
    event = decode(dead_letter_bytes(None, None, None, "router.agents", 0, 1, "tombstone"))
    assert isinstance(event, DeadLetter)
    assert event.data.value is None
    assert event.data.key is None
    assert event.tenant == UNKNOWN_TENANT


def test_tenant_from_key() -> None:
    assert tenant_from_key(b"contoso/conv-1") == "contoso"
    assert tenant_from_key(b"contoso") == "contoso"
    assert tenant_from_key(None) == UNKNOWN_TENANT
    assert tenant_from_key(b"\xff\xfe/x") == UNKNOWN_TENANT
    assert tenant_from_key(b"{bad}/x") == UNKNOWN_TENANT
    assert tenant_from_key(b"contoso/x", frozenset({"fabrikam"})) == UNKNOWN_TENANT
    assert tenant_from_key(b"fabrikam/x", frozenset({"fabrikam"})) == "fabrikam"


def test_overlong_reason_is_clipped_so_the_dead_letter_still_decodes() -> None:
    raw = dead_letter_bytes(VALUE, KEY, None, "router.work-items", 0, 1, "x" * 10_000)
    event = decode(raw)
    assert isinstance(event, DeadLetter)
    assert len(event.data.reason) == 4096


def _record(value: bytes | None, key: bytes | None, headers: list[tuple[str, bytes | None]],
            max_bytes: int) -> DeadLetterRecord:
    return dead_letter_record(value, key, headers, "router.work-items", 3, 42, "too large",
                              max_bytes=max_bytes, time=NOW)


def _size(record: DeadLetterRecord) -> int:
    return (len(record.value) + len(record.key or b"")
            + sum(len(k) + len(v or b"") for k, v in record.headers))


def test_a_record_that_fits_is_kept_whole() -> None:
    record = _record(VALUE, KEY, HEADERS, 1_000_000)
    assert record.value == dead_letter_bytes(VALUE, KEY, HEADERS, "router.work-items", 3, 42,
                                             "too large", time=NOW)
    assert (record.key, record.headers) == (KEY, HEADERS)
    event = decode(record.value)
    assert isinstance(event, DeadLetter) and event.data.omitted == []


def test_a_value_too_large_for_a_dead_letter_is_left_out_and_said_so() -> None:
    value = b"v" * 30_000  # 40,000 base64-encoded
    record = _record(value, KEY, HEADERS, 20_000)
    assert _size(record) <= 20_000
    event = decode(record.value)
    assert isinstance(event, DeadLetter)
    assert event.data.value is None and event.data.omitted == ["value"]
    assert event.data.key == KEY and record.key == KEY
    assert [(h.key, h.value) for h in event.data.headers] == HEADERS == record.headers
    assert event.data.reason == ("too large; left out, too large for a dead letter: value "
                                 "(30,000 bytes); read the record at router.work-items "
                                 "partition 3 offset 42 while that topic retains it")
    assert (event.data.topic, event.data.partition, event.data.offset) == (
        "router.work-items", 3, 42)


def test_then_the_headers_then_the_key() -> None:
    headers: list[tuple[str, bytes | None]] = [("big", b"h" * 30_000)]
    record = _record(b"v" * 30_000, KEY, headers, 20_000)
    assert _size(record) <= 20_000 and record.headers == [] and record.key == KEY
    event = decode(record.value)
    assert isinstance(event, DeadLetter)
    assert event.data.omitted == ["value", "headers"] and event.data.headers == []
    assert "value (30,000 bytes), headers (30,003 bytes)" in event.data.reason

    key = b"contoso/" + b"k" * 30_000
    record = _record(None, key, [], 20_000)
    assert record.key is None and _size(record) <= 20_000
    event = decode(record.value)
    assert isinstance(event, DeadLetter)
    assert event.data.omitted == ["key"] and event.data.key is None  # only what it had
    assert event.tenant == "contoso"  # still read from the key it came under


def test_the_note_fits_beside_the_longest_reason() -> None:
    record = dead_letter_record(b"v" * 30_000, KEY, [], "router.work-items", 3, 42,
                                "x" * 10_000, max_bytes=20_000, time=NOW)
    event = decode(record.value)
    assert isinstance(event, DeadLetter)
    assert len(event.data.reason) == 4096
    assert event.data.reason.endswith("while that topic retains it")
