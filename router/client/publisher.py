"""Publish connector and agent-desktop events to the router's input topics.

One confluent-kafka producer per Publisher, configured the way the router relies on:
idempotent (a retried batch is never written twice, and order per partition holds), and
the murmur2 partitioner, which is what aiokafka/Faust use, so a key lands on the same
partition whoever produces it (docs/design.md, "Events"). Every send returns a future
resolved by the delivery report; a background thread serves those reports so `result()`
never waits for the caller to poll.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from router.client.builder import DEFAULT_SOURCE, EventBuilder
from router.client.errors import DeliveryError
from router.client.routing import input_topics
from router.contract.codec import DEFAULT_MAX_BYTES
from router.contract.envelope import Event
from router.contract.topics import DEFAULT_PREFIX
from router.settings import Settings
from router.topics import FIXED_PRODUCER_SETTINGS  # `producer_config` may not change these

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivered:
    """Where Kafka stored an event (the successful result of a send's future)."""

    event_id: str
    event_type: str
    topic: str
    partition: int
    offset: int
    key: bytes


Delivery = Future[Delivered]
"""A send's outcome: `result()` gives `Delivered` or raises `DeliveryError`."""


class Publisher(EventBuilder[Delivery]):
    """Sends input events for one tenant (offer responses use the offer's tenant).

    The builder methods (`create_item`, `register_agent`, `accept`, ...) come from
    `EventBuilder`; each checks its event, raising `InvalidEvent` at once, and returns
    the send's `Delivery`. Use as a context manager, or call `close()`, so queued events
    are flushed.
    """

    def __init__(
        self,
        bootstrap: str,
        *,
        tenant: str,
        topic_prefix: str = DEFAULT_PREFIX,
        source: str = DEFAULT_SOURCE,
        max_event_bytes: int = DEFAULT_MAX_BYTES,
        producer_config: Mapping[str, Any] | None = None,
    ) -> None:
        """max_event_bytes: the router's ROUTER_MAX_EVENT_BYTES; larger events are
        refused before sending. producer_config: extra librdkafka settings."""
        overridden = sorted(set(producer_config or {}) & set(FIXED_PRODUCER_SETTINGS))
        if overridden:
            raise ValueError(
                f"producer_config: {overridden} cannot be changed (the router relies on "
                "an idempotent producer and the murmur2 partitioner)"
            )
        super().__init__(tenant=tenant, source=source, max_event_bytes=max_event_bytes)
        self._topics = input_topics(topic_prefix)
        config: dict[str, Any] = {
            "bootstrap.servers": bootstrap,
            "acks": "all",
            "linger.ms": 5,
            "client.id": source,
            **(producer_config or {}),
            **FIXED_PRODUCER_SETTINGS,
        }
        self._producer = Producer(config)
        # Held while a send is handed to the producer and while close() marks it closing:
        # a send from another thread then either lands before close() flushes (so it is
        # flushed or purged) or is refused, never left unreported after close().
        self._sending = threading.Lock()
        self._closing = False
        self._stop_reports = threading.Event()
        self._closed = threading.Event()  # close() finished: every Delivery resolved
        self._poller = threading.Thread(
            target=self._serve_reports, name="publisher-reports", daemon=True
        )
        self._poller.start()

    @classmethod
    def from_settings(cls, settings: Settings, *, tenant: str, **options: Any) -> Publisher:
        """Bootstrap, topic prefix and event size limit from `ROUTER_*` settings."""
        options.setdefault("max_event_bytes", settings.max_event_bytes)
        return cls(
            settings.kafka_bootstrap, tenant=tenant, topic_prefix=settings.topic_prefix, **options
        )

    def _serve_reports(self) -> None:
        while not self._stop_reports.is_set():
            self._producer.poll(0.1)

    def _emit(self, event: Event[Any]) -> Delivery:
        return self.publish(event)

    def publish(self, event: Event[Any]) -> Delivery:
        """Check and send any client input event (the builders all end here).

        Raises `InvalidEvent` at once for an event the router would reject. Blocks while
        the producer's local queue is full (back-pressure) rather than failing.
        """
        if self._closing:
            raise RuntimeError("publisher is closed")
        raw = self.check(event)
        topic = self._topics[event.type]
        future: Delivery = Future()
        future.set_running_or_notify_cancel()
        key = event.key

        def report(err: KafkaError | None, msg: Message) -> None:
            if err is None:
                partition, offset = msg.partition(), msg.offset()
                future.set_result(
                    Delivered(
                        event.id,
                        event.type,
                        topic,
                        -1 if partition is None else partition,
                        -1 if offset is None else offset,
                        key,
                    )
                )
            else:
                future.set_exception(_delivery_error(event, topic, key, err))

        while True:
            with self._sending:
                if self._closing:
                    raise RuntimeError("publisher is closed")
                try:
                    self._producer.produce(topic, value=raw, key=key, on_delivery=report)
                    return future
                except BufferError:
                    pass
                except KafkaException as exc:  # refused locally, e.g. over message.max.bytes
                    future.set_exception(_delivery_error(event, topic, key, exc.args[0]))
                    return future
            self._producer.poll(0.05)  # queue full: wait for reports to free room

    def flush(self, timeout: float = 30.0) -> int:
        """Wait for outstanding deliveries; returns how many are still undelivered."""
        remaining: int = self._producer.flush(timeout)
        return remaining

    def close(self, timeout: float = 30.0) -> int:
        """Flush, then stop the report thread. Returns undelivered events (0 is clean).

        Every send's future is resolved by the time this returns: the events still
        undelivered after `timeout` are purged from the producer, and their futures fail
        with a `DeliveryError` (code `_PURGE_QUEUE`, or `_PURGE_INFLIGHT` for a request
        already sent, which the broker may still have written). Without this, a caller
        waiting on such a future without a timeout would wait forever. A second call
        waits for the first to finish and returns 0."""
        with self._sending:
            first = not self._closing
            self._closing = True
        if not first:
            self._closed.wait()
            return 0
        remaining = self.flush(timeout)
        self._stop_reports.set()
        self._poller.join()
        if remaining:
            self._producer.purge(in_queue=True, in_flight=True)
            self._producer.flush(0)  # serves the purged events' reports (failures)
        self._closed.set()
        return remaining

    def __enter__(self) -> Publisher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        undelivered = self.close()
        if undelivered:
            log.warning("publisher closed with %d events undelivered; their deliveries "
                        "failed (DeliveryError)", undelivered)


def _delivery_error(event: Event[Any], topic: str, key: bytes, err: KafkaError) -> DeliveryError:
    return DeliveryError(
        event_type=event.type,
        event_id=event.id,
        topic=topic,
        key=key,
        code=err.name(),
        reason=err.str(),
        retriable=err.retriable(),
    )


def wait_all(deliveries: Sequence[Delivery], timeout: float = 30.0) -> list[Delivered]:
    """Results of many sends, raising the first `DeliveryError`; a helper for scripts."""
    deadline = time.monotonic() + timeout
    return [d.result(max(0.0, deadline - time.monotonic())) for d in deliveries]
