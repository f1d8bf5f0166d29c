"""decode/encode: round trips, and the reason and path reported for bad input."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from contract_helpers import dumps, example_builtins

from router.contract import (
    EVENT_TYPES,
    DecodeError,
    WorkItemCreated,
    decode,
    encode,
    input_types,
)
from router.contract.examples import EXAMPLES


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_every_example_round_trips(event_type: str) -> None:
    event = EXAMPLES[event_type]
    raw = encode(event)
    back = decode(raw)
    assert back == event
    assert type(back) is EVENT_TYPES[event_type]
    assert back.type == event_type
    assert encode(back) == raw


def test_decoded_fields_are_typed() -> None:
    event = decode(dumps(example_builtins("work_item.created")))
    assert isinstance(event, WorkItemCreated)
    assert event.time == datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
    assert event.data.deadline == datetime(2025, 3, 1, 10, 30, tzinfo=UTC)
    assert event.data.attributes["tags"] == ["refund", "urgent"]
    assert event.key == b"contoso/conv-20250301-0042"


def test_encode_writes_utc_z_and_compact_json() -> None:
    raw = encode(EXAMPLES["work_item.created"])
    assert b'"time":"2025-03-01T09:30:00Z"' in raw
    assert b" " not in raw.split(b'"attributes"')[0]
    assert orjson.loads(raw)["type"] == "work_item.created"


def test_plus_zero_offset_is_utc_and_re_encodes_as_z() -> None:
    created = example_builtins(WI)
    created["time"] = "2025-03-01T09:30:00+00:00"
    assert b'"time":"2025-03-01T09:30:00Z"' in encode(decode(dumps(created)))


def test_integers_beyond_64_bits_in_free_json_still_encode() -> None:
    created = example_builtins(WI)
    created["data"]["attributes"]["account"] = 2**80
    event = decode(dumps(created))
    assert decode(encode(event)) == event


def test_update_distinguishes_absent_from_null() -> None:
    base = example_builtins("work_item.updated")
    base["data"] = {"priority": None}
    event = decode(dumps(base))
    assert event.data.priority is None
    assert b"attributes" not in encode(event)
    base["data"] = {}
    event = decode(dumps(base))
    assert b'"data":{}' in encode(event)


def _set(path: tuple[str | int, ...], value: Any) -> Callable[[dict[str, Any]], Any]:
    def apply(doc: dict[str, Any]) -> Any:
        node: Any = doc
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value
        return doc

    return apply


def _drop(path: tuple[str, ...]) -> Callable[[dict[str, Any]], Any]:
    def apply(doc: dict[str, Any]) -> Any:
        node: Any = doc
        for part in path[:-1]:
            node = node[part]
        del node[path[-1]]
        return doc

    return apply


def _of(event_type: str, mutate: Callable[[dict[str, Any]], Any]) -> bytes:
    return dumps(mutate(example_builtins(event_type)))


def _deep(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


WI = "work_item.created"
MALFORMED: list[tuple[str, bytes, str, str | None]] = [
    ("not json", b"hello, router", "not valid JSON", None),
    ("truncated json", dumps(example_builtins(WI))[:-5], "not valid JSON", None),
    ("invalid utf-8", b'{"type":"\xff\xfe"}', "not valid JSON: invalid UTF-8", None),
    (
        "invalid utf-8 in data",
        dumps(example_builtins(WI)).replace(b"billing", b"bill\xe9"),
        "not valid JSON: invalid UTF-8",
        None,
    ),
    ("empty", b"", "empty payload", None),
    ("array", b"[1, 2]", "must be a JSON object, not array", None),
    ("string", b'"work_item.created"', "must be a JSON object, not str", None),
    ("null", b"null", "must be a JSON object, not null", None),
    (
        "nested too deeply",
        dumps(example_builtins(WI)).replace(b'"vip":true', b'"vip":' + _deep(5000)),
        "nested too deeply",
        None,
    ),
    ("missing type", _of(WI, _drop(("type",))), "missing required field", "type"),
    (
        "unknown type",
        _of(WI, _set(("type",), "work_item.exploded")),
        "unknown event type 'work_item.exploded'",
        "type",
    ),
    ("type not a string", _of(WI, _set(("type",), 7)), "Expected str", "type"),
    ("missing id", _of(WI, _drop(("id",))), "missing required field", "id"),
    ("empty id", _of(WI, _set(("id",), "")), "length >= 1", "id"),
    ("tenant with slash", _of(WI, _set(("tenant",), "a/b")), "matching regex", "tenant"),
    (
        "unknown envelope field",
        _of(WI, _set(("specversion",), "1.0")),
        "unknown field",
        "specversion",
    ),
    (
        "schema_version 2",
        _of(WI, _set(("schema_version",), 2)),
        "unsupported schema_version 2",
        "schema_version",
    ),
    (
        "schema_version string",
        _of(WI, _set(("schema_version",), "1")),
        "Expected int, got str",
        "schema_version",
    ),
    (
        "time without offset",
        _of(WI, _set(("time",), "2025-03-01T09:30:00")),
        "no UTC offset",
        "time",
    ),
    (
        "time not a timestamp",
        _of(WI, _set(("time",), "yesterday")),
        "not an RFC 3339 timestamp",
        "time",
    ),
    (
        "time not UTC",
        _of(WI, _set(("time",), "2025-03-01T10:30:00+01:00")),
        "must be in UTC",
        "time",
    ),
    ("time a number", _of(WI, _set(("time",), 1740821400)), "Expected datetime", "time"),
    ("data not an object", _of(WI, _set(("data",), [])), "Expected object", "data"),
    (
        "missing workstream",
        _of(WI, _drop(("data", "workstream"))),
        "missing required field",
        "data.workstream",
    ),
    (
        "priority a string",
        _of(WI, _set(("data", "priority"), "high")),
        "Expected int | float | null, got str",
        "data.priority",
    ),
    (
        "priority beyond 2^53",
        _of(WI, _set(("data", "priority"), 2**60)),
        "<= 9007199254740992",
        "data.priority",
    ),
    ("misspelt field", _of(WI, _set(("data", "priorty"), 3)), "unknown field", "data.priorty"),
    (
        "four preferred agents",
        _of(WI, _set(("data", "preferred_agents"), ["a", "b", "c", "d"])),
        "length <= 3",
        "data.preferred_agents",
    ),
    (
        "preferred agent not a string",
        _of(WI, _set(("data", "preferred_agents"), ["a", 5])),
        "Expected str, got int",
        "data.preferred_agents[1]",
    ),
    (
        "duplicate preferred agents",
        _of(WI, _set(("data", "preferred_agents"), ["a", "a"])),
        "duplicates",
        "data.preferred_agents",
    ),
    (
        "attributes an array",
        _of(WI, _set(("data", "attributes"), [1])),
        "Expected object, got array",
        "data.attributes",
    ),
    (
        "deadline not UTC",
        _of(WI, _set(("data", "deadline"), "2025-03-01T12:00:00-05:00")),
        "must be in UTC",
        "data.deadline",
    ),
    ("ttl zero", _of(WI, _set(("data", "ttl_seconds"), 0)), ">= 1", "data.ttl_seconds"),
    (
        "negative proficiency",
        _of("agent.registered", _set(("data", "skills", "french"), -1)),
        ">= 0",
        "data.skills[...]",
    ),
    (
        "negative capacity",
        _of("agent.registered", _set(("data", "capacity", "units"), -5)),
        ">= 0",
        "data.capacity.units",
    ),
    (
        "empty capacity change",
        _of("agent.capacity_changed", _set(("data",), {})),
        "give units, profiles or both",
        "data.units",
    ),
    (
        "queue added and removed",
        _of("agent.queues_changed", _set(("data",), {"added": ["q"], "removed": ["q"]})),
        "both added and removed",
        "data.removed",
    ),
    (
        "decline without offer id",
        _of("agent.offer_declined", _drop(("data", "offer_id"))),
        "missing required field",
        "data.offer_id",
    ),
    (
        "presence empty",
        _of("agent.presence_changed", _set(("data", "presence"), "")),
        "length >= 1",
        "data.presence",
    ),
    (
        "revoked via bad literal",
        _of("assignment.created", _set(("data", "via"), "telepathy")),
        "Invalid enum value 'telepathy'",
        "data.via",
    ),
    (
        "dead letter value not base64",
        _of("dead_letter", _set(("data", "value"), "%%%")),
        "Invalid base64",
        "data.value",
    ),
]


@pytest.mark.parametrize(
    ("raw", "reason", "path"),
    [pytest.param(raw, reason, path, id=name) for name, raw, reason, path in MALFORMED],
)
def test_malformed_input_names_reason_and_path(raw: bytes, reason: str, path: str | None) -> None:
    with pytest.raises(DecodeError) as caught:
        decode(raw)
    assert reason in caught.value.reason
    assert caught.value.path == path
    assert caught.value.reason in str(caught.value)


def test_payload_over_the_size_limit_is_rejected_before_parsing() -> None:
    raw = b"[" * 70_000
    with pytest.raises(DecodeError) as caught:
        decode(raw)
    assert caught.value.reason == "payload of 70000 bytes exceeds the limit of 65536 bytes"
    assert caught.value.path is None
    ok = dumps(example_builtins(WI))
    with pytest.raises(DecodeError, match="exceeds the limit of 100 bytes"):
        decode(ok, max_bytes=100)
    assert decode(ok, max_bytes=len(ok)).type == WI


def test_tombstone() -> None:
    with pytest.raises(DecodeError, match="tombstone"):
        decode(None)


def test_unknown_tenant() -> None:
    raw = dumps(example_builtins(WI))
    assert decode(raw, known_tenants=frozenset({"contoso", "fabrikam"})).tenant == "contoso"
    with pytest.raises(DecodeError) as caught:
        decode(raw, known_tenants=frozenset({"fabrikam"}))
    assert (caught.value.reason, caught.value.path) == ("unknown tenant 'contoso'", "tenant")


def test_event_on_the_wrong_topic() -> None:
    raw = dumps(example_builtins("agent.registered"))
    assert decode(raw, types=input_types("agents")).type == "agent.registered"
    with pytest.raises(DecodeError) as caught:
        decode(raw, types=input_types("work-items"))
    assert caught.value.path == "type"
    assert "does not belong on this topic" in caught.value.reason


def test_record_key_must_be_tenant_slash_subject() -> None:
    raw = dumps(example_builtins(WI))
    assert decode(raw, key=b"contoso/conv-20250301-0042").subject == "conv-20250301-0042"
    with pytest.raises(DecodeError) as caught:
        decode(raw, key=b"contoso/another-item")
    assert caught.value.path == "subject"
    assert "does not match" in caught.value.reason


def test_huge_unknown_type_is_clipped_in_the_reason() -> None:
    raw = _of(WI, _set(("type",), "x" * 10_000))
    with pytest.raises(DecodeError) as caught:
        decode(raw)
    assert len(caught.value.reason) < 200


def test_decode_error_is_a_value_error_with_fields() -> None:
    err = DecodeError("bad", "data.x")
    assert isinstance(err, ValueError)
    assert (err.reason, err.path, str(err)) == ("bad", "data.x", "bad (at data.x)")
    assert str(DecodeError("bad")) == "bad"
