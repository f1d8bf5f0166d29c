"""Intake decisions: processed, retried while a dependency is down, or dead-lettered.
The end-to-end version of this runs against the real broker in tests/integration."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
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
        self.headers: list[list[tuple[str, bytes | None]]] = []

    async def send(self, *, key: bytes | None, value: bytes,
                   headers: Sequence[tuple[str, bytes | None]] | None) -> None:
        self.records.append((key, value))
        self.headers.append(list(headers or ()))


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


def test_a_record_too_large_for_a_dead_letter_goes_without_what_does_not_fit() -> None:
    async def never(_e: Event[Any], _m: InboundMessage) -> None:
        raise AssertionError("handler called for bad input")

    sink = CollectingSink()
    ingest = Ingest(suffix="work-items", event_types=TYPES, handler=never, dead_letter=sink,
                    known_tenants=frozenset({TENANT}), max_bytes=65536,
                    dead_letter_max_bytes=50_000)
    message = InboundMessage(topic="router.work-items", partition=0, offset=7,
                             key=b"contoso/x", value=b"x" * 60_000,
                             headers=[("h", b"1"), ("trace", b"t" * 60_000)])
    asyncio.run(ingest.handle(message))
    [(key, dl_value)] = sink.records
    data = orjson.loads(dl_value)["data"]
    assert key == b"contoso/x" and len(dl_value) < 50_000
    assert data["omitted"] == ["value", "headers"] and data["value"] is None
    assert sink.headers == [[]], "the left-out headers went as Kafka headers after all"
    assert data["reason"].startswith("not valid JSON") and "value (60,000 bytes)" in data["reason"]


def _numbered(subject: str, n: int) -> InboundMessage:
    event = msgspec.structs.replace(EXAMPLES["work_item.created"], id=f"event-{n}",
                                    subject=subject)
    return InboundMessage(topic="router.work-items", partition=0, offset=n, key=event.key,
                          value=encode(event), headers=[])


def test_a_keys_records_stay_in_order_across_batches_handled_at_once() -> None:
    # Batch 1's record of key `a` is slow; batch 2, started meanwhile, holds the next
    # record of `a` (which must wait for it) and one of `b` (which need not).
    log: list[str] = []

    async def handler(event: Event[Any], message: InboundMessage) -> None:
        name = f"{event.subject}{message.offset}"
        log.append(f"{name} started")
        await asyncio.sleep(0.05 if message.offset == 1 else 0.001)
        log.append(f"{name} handled")

    async def scenario() -> None:
        ingest = _ingest(handler, CollectingSink())
        first = asyncio.ensure_future(ingest.handle_batch([_numbered("a", 1)]))
        await asyncio.sleep(0.01)
        second = asyncio.ensure_future(ingest.handle_batch(
            [_numbered("a", 2), _numbered("b", 3)]))
        await asyncio.gather(first, second)

    asyncio.run(scenario())
    assert log.index("a1 handled") < log.index("a2 started")
    assert log.index("b3 handled") < log.index("a1 handled")


def test_a_keys_later_records_are_not_handled_after_its_earlier_batch_failed() -> None:
    # A failed batch ends the worker (window.py); until then, nothing later of its keys
    # may be handled, or the redelivery would replay them out of order.
    handled: list[int] = []

    async def handler(_event: Event[Any], _message: InboundMessage) -> None:
        raise AssertionError("replaced below")

    async def scenario() -> list[BaseException | None]:
        ingest = _ingest(handler, CollectingSink())

        async def unavailable(message: InboundMessage) -> None:
            await asyncio.sleep(0.01)
            if message.offset == 1:
                raise RuntimeError("the dead-letter topic is unreachable")
            handled.append(message.offset)

        ingest.handle = unavailable  # type: ignore[method-assign]
        first = asyncio.ensure_future(ingest.handle_batch([_numbered("a", 1)]))
        second = asyncio.ensure_future(ingest.handle_batch([_numbered("a", 2)]))
        outcomes = await asyncio.gather(first, second, return_exceptions=True)
        return [o if isinstance(o, BaseException) else None for o in outcomes]

    outcomes = asyncio.run(scenario())
    assert all(isinstance(o, RuntimeError) for o in outcomes)
    assert handled == []
