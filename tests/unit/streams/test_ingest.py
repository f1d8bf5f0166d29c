"""Intake decisions: processed, retried while a dependency is down, or dead-lettered.
The end-to-end version of this runs against the real broker in tests/integration."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
import orjson
from redis.exceptions import ConnectionError as RedisConnectionError

from router.contract.codec import encode
from router.contract.envelope import Event
from router.contract.examples import EXAMPLES, TENANT
from router.contract.topics import input_types
from router.streams.ingest import InboundMessage, Ingest

TYPES = input_types("work-items")


class CollectingSink:
    def __init__(self) -> None:
        self.records: list[tuple[bytes | None, bytes]] = []

    async def send(self, *, key: bytes | None, value: bytes,
                   headers: list[tuple[str, bytes]] | None) -> None:
        self.records.append((key, value))


def _message(value: bytes, key: bytes | None) -> InboundMessage:
    return InboundMessage(topic="router.work-items", partition=0, offset=7, key=key,
                          value=value, headers=[("h", b"1")])


def _created() -> tuple[bytes, bytes]:
    event = EXAMPLES["work_item.created"]
    return event.key, encode(event)


def _ingest(handler: Any, sink: CollectingSink) -> Ingest:
    return Ingest(suffix="work-items", event_types=TYPES, handler=handler,
                  dead_letter=sink, known_tenants=frozenset({TENANT}), max_bytes=65536,
                  retry_backoff_s=0.0)


def test_a_valid_event_reaches_its_handler() -> None:
    seen: list[Event[Any]] = []

    async def handler(event: Event[Any], _m: InboundMessage) -> None:
        seen.append(event)

    sink = CollectingSink()
    key, value = _created()
    asyncio.run(_ingest(handler, sink).handle(_message(value, key)))
    assert [e.type for e in seen] == ["work_item.created"] and sink.records == []


def test_an_unavailable_redis_is_retried_not_dead_lettered() -> None:
    attempts = 0

    async def flaky(_e: Event[Any], _m: InboundMessage) -> None:
        nonlocal attempts
        attempts += 1
        if attempts < 3:
            raise RedisConnectionError("connection refused")

    sink = CollectingSink()
    key, value = _created()
    asyncio.run(_ingest(flaky, sink).handle(_message(value, key)))
    assert attempts == 3 and sink.records == []


def test_a_handler_bug_dead_letters_the_event_with_the_reason_and_moves_on() -> None:
    async def broken(_e: Event[Any], _m: InboundMessage) -> None:
        raise KeyError("no such queue")

    sink = CollectingSink()
    key, value = _created()
    asyncio.run(_ingest(broken, sink).handle(_message(value, key)))
    [(dl_key, dl_value)] = sink.records
    letter = orjson.loads(dl_value)
    assert dl_key == key
    assert "processing failed" in letter["data"]["reason"]
    assert msgspec.json.decode(orjson.dumps(letter["data"]["value"]), type=bytes) == value


def test_an_undecodable_record_is_dead_lettered_without_calling_the_handler() -> None:
    async def never(_e: Event[Any], _m: InboundMessage) -> None:
        raise AssertionError("handler called for bad input")

    sink = CollectingSink()
    asyncio.run(_ingest(never, sink).handle(_message(b"\xff\xfe", b"contoso/x")))
    [(_, dl_value)] = sink.records
    assert orjson.loads(dl_value)["data"]["reason"].startswith("not valid JSON")
