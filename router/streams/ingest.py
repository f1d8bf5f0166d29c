"""Intake of one input topic: decode, hand to the handler, or dead-letter with the reason.

The consumer never stops on bad input (invariant 3, docs/design.md): a record that does not
decode, or whose handling fails for a reason that retrying cannot fix, goes to the
dead-letter topic byte for byte with the reason, and the stream moves on. A dependency
that is down (Redis) is different: the record is retried until it succeeds, because
dead-lettering valid events during an outage would lose them in effect.

A batch is handled concurrently across keys and in order within a key, also across the
batches handled at once (window.py): Kafka orders only records of one key (one
partition), and every event the router consumes is keyed by the entity it changes, so
records of different keys carry no order to keep. The store's commits are atomic and
re-checked, so concurrent cycles that want the same agent or item conflict and
re-decide rather than double-book.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from router.contract.codec import DecodeError, decode
from router.contract.deadletter import dead_letter_record
from router.contract.envelope import Event
from router.observability import metrics
from router.topics import DEAD_LETTER_RECORD_MAX_BYTES

log = logging.getLogger(__name__)

TRANSIENT = (RedisConnectionError, RedisTimeoutError, ConnectionError, asyncio.TimeoutError)


@dataclass(frozen=True)
class InboundMessage:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]
    timestamp_ms: int | None = None


class Sink(Protocol):
    async def send(self, *, key: bytes | None, value: bytes,
                   headers: Sequence[tuple[str, bytes | None]] | None) -> Any: ...


Handler = Callable[[Event[Any], InboundMessage], Awaitable[None]]


class Ingest:
    def __init__(
        self,
        *,
        suffix: str,
        event_types: frozenset[str],
        handler: Handler,
        dead_letter: Sink,
        known_tenants: frozenset[str],
        max_bytes: int,
        retry_backoff_s: float = 0.5,
        dead_letter_max_bytes: int = DEAD_LETTER_RECORD_MAX_BYTES,
    ) -> None:
        self._suffix = suffix
        self._types = event_types
        self._handler = handler
        self._dead_letter = dead_letter
        self._known_tenants = known_tenants
        self._max_bytes = max_bytes
        self._backoff = retry_backoff_s
        self._dead_letter_max_bytes = dead_letter_max_bytes
        self._runs: dict[bytes | None, asyncio.Future[None]] = {}
        """The latest unfinished run of each key, across the batches out."""

    async def handle_batch(self, messages: Sequence[InboundMessage]) -> None:
        """Each key's records in order, the keys concurrently; returns when all are
        handled (their outputs in the outbox), so the batch can be acknowledged. Several
        batches may be out at once: a key's run waits for its run in an earlier batch."""
        by_key: dict[bytes | None, list[InboundMessage]] = {}
        for message in messages:
            by_key.setdefault(message.key, []).append(message)
        runs = []
        for key, run in by_key.items():
            task = asyncio.ensure_future(self._in_order(run, self._runs.get(key)))
            self._runs[key] = task
            task.add_done_callback(partial(self._forget, key))
            runs.append(task)
        # Every key's run finishes before a failure is raised: an orphaned run would go
        # on handling a key while the records after it are handled elsewhere.
        outcomes = await asyncio.gather(*runs, return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome

    def _forget(self, key: bytes | None, run: asyncio.Future[None]) -> None:
        if self._runs.get(key) is run:
            del self._runs[key]

    async def _in_order(self, messages: list[InboundMessage],
                        earlier: asyncio.Future[None] | None) -> None:
        if earlier is not None:
            # Raises if the earlier run failed: a key's later records are not handled
            # past a failure (the worker exits, and both batches are delivered again).
            await asyncio.shield(earlier)
        for message in messages:
            await self.handle(message)

    async def handle(self, message: InboundMessage) -> None:
        try:
            event = decode(message.value or b"", known_tenants=self._known_tenants,
                           max_bytes=self._max_bytes, types=self._types, key=message.key)
        except DecodeError as exc:
            await self._reject(message, exc, "decode")
            return
        started = time.perf_counter()
        while True:
            try:
                await self._handler(event, message)
                break
            except TRANSIENT as exc:
                metrics.TRANSIENT_FAILURES.labels(self._suffix).inc()
                log.warning("%s/%s/%s: %s; retrying in %.1fs", message.topic,
                            message.partition, message.offset, exc, self._backoff)
                await asyncio.sleep(self._backoff)
            except Exception as exc:
                log.exception("%s/%s/%s: handling failed", message.topic,
                              message.partition, message.offset)
                await self._reject(message, f"processing failed: {exc!r}", "processing")
                return
        metrics.series(metrics.EVENT_HANDLING_SECONDS, self._suffix).observe(
            time.perf_counter() - started)
        metrics.series(metrics.EVENTS_CONSUMED, self._suffix, event.type, "processed").inc()

    async def _reject(self, message: InboundMessage, error: DecodeError | str,
                      reason_class: str) -> None:
        log.warning("dead-lettering %s/%s/%s: %s", message.topic, message.partition,
                    message.offset, error)
        letter = dead_letter_record(
            message.value, message.key, message.headers, message.topic, message.partition,
            message.offset, error, max_bytes=self._dead_letter_max_bytes,
            timestamp_ms=message.timestamp_ms, known_tenants=self._known_tenants,
        )
        await self._dead_letter.send(key=letter.key, value=letter.value,
                                     headers=letter.headers)
        metrics.DEAD_LETTERS.labels(self._suffix, reason_class).inc()
        metrics.EVENTS_CONSUMED.labels(self._suffix, "unknown", "dead_lettered").inc()
