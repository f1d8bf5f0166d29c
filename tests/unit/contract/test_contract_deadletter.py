"""Dead letters keep the original record exactly and have a redelivery-stable id."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

from router.contract import (
    UNKNOWN_TENANT,
    DeadLetter,
    DecodeError,
    dead_letter,
    dead_letter_bytes,
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
