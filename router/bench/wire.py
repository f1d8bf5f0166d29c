"""Kafka clients of the benchmark, configured alike for the router and the baseline.

The producer has the settings of `router.client.Publisher` (idempotent, acks=all,
murmur2, linger 5 ms), so the baseline pays what a connector pays. The receiver assigns
partitions by hand at their current end: no consumer-group rebalance to wait for, and
nothing older than the run is read.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from confluent_kafka import Consumer, KafkaError, Message, Producer, TopicPartition
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from router.bench.traffic import paced
from router.settings import Settings
from router.topics import FIXED_PRODUCER_SETTINGS

PRODUCER_CONFIG = {"acks": "all", "linger.ms": 5, **FIXED_PRODUCER_SETTINGS}
CONSUMER_CONFIG = {"enable.auto.commit": False, "fetch.wait.max.ms": 100}


def producer(settings: Settings) -> Producer:
    return Producer({"bootstrap.servers": settings.kafka_bootstrap, **PRODUCER_CONFIG})


def send_paced(producer_: Producer, topic: str, payloads: Sequence[tuple[bytes, bytes]],
               rate: float | None) -> dict[str, float]:
    """Produce `(key, value)` payloads at `rate` (None: as fast as possible), waiting out
    a full local queue, then flush; returns when each key was handed to the producer."""
    sent: dict[str, float] = {}
    produce, poll = producer_.produce, producer_.poll

    def send(n: int) -> None:
        key, value = payloads[n]
        sent[key.decode()] = time.perf_counter()
        while True:
            try:
                produce(topic, key=key, value=value)
                break
            except BufferError:
                poll(0.01)
        poll(0)

    paced(len(payloads), rate, send)
    producer_.flush(30)
    return sent


def create_topic(settings: Settings, name: str, timeout_s: float = 30.0) -> None:
    admin = AdminClient({"bootstrap.servers": settings.kafka_bootstrap})
    futures = admin.create_topics(
        [NewTopic(name, num_partitions=settings.topic_partitions,
                  replication_factor=settings.topic_replication)],
        operation_timeout=timeout_s, request_timeout=timeout_s)
    for future in futures.values():
        future.result()


def delete_topics(settings: Settings, prefix: str, timeout_s: float = 30.0) -> list[str]:
    """Delete every topic whose name starts with `prefix` (the run's own)."""
    admin = AdminClient({"bootstrap.servers": settings.kafka_bootstrap})
    names = [name for name in admin.list_topics(timeout=timeout_s).topics
             if name.startswith(prefix)]
    if names:
        for future in admin.delete_topics(names, operation_timeout=timeout_s).values():
            future.result()
    return names


Handler = Callable[[Sequence[Message], float], None]
"""Called with a batch of records and the time (perf_counter) the batch arrived."""


class Receiver(threading.Thread):
    """Reads `topics` from their end in a background thread and hands batches on."""

    def __init__(self, settings: Settings, topics: Sequence[str], handler: Handler) -> None:
        super().__init__(name="bench-receiver", daemon=True)
        self._handler = handler
        self._stop_event = threading.Event()
        self.errors: list[str] = []
        self._consumer = Consumer({"bootstrap.servers": settings.kafka_bootstrap,
                                   "group.id": f"bench-{uuid.uuid4().hex}", **CONSUMER_CONFIG})
        self._assign_at_end(topics)

    def _assign_at_end(self, topics: Sequence[str], timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                metadata = self._consumer.list_topics(timeout=10)
                partitions = []
                for name in topics:
                    for number in metadata.topics[name].partitions:
                        tp = TopicPartition(name, number)
                        _low, high = self._consumer.get_watermark_offsets(tp, timeout=10)
                        partitions.append(TopicPartition(name, number, high))
                self._consumer.assign(partitions)
                return
            except Exception:  # a new topic's leaders may not be elected yet: retry
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def run(self) -> None:
        try:
            while not self._stop_event.is_set():
                # consume() with a timeout waits for a full batch; poll() returns with the
                # first record, so a quiet topic's record is stamped when it arrives.
                first = self._consumer.poll(0.05)
                if first is None:
                    continue
                at = time.perf_counter()
                batch = [first, *self._consumer.consume(num_messages=999, timeout=0)]
                good = []
                for message in batch:
                    error = message.error()
                    if error is None:
                        good.append(message)
                    elif error.code() != KafkaError._PARTITION_EOF:
                        self.errors.append(str(error))
                self._handler(good, at)
        finally:
            self._consumer.close()

    def stop(self) -> None:
        self._stop_event.set()
        self.join(10)


def key_text(message: Message) -> str:
    key: Any = message.key()
    return key.decode() if isinstance(key, bytes) else str(key)


def input_lag(settings: Settings, suffixes: Sequence[str] = ("work-items", "agents",
                                                            "offer-responses")) -> int:
    """Input records the worker's group has not committed yet, from Kafka itself.

    Reads the group's committed offsets without joining the group, so asking does not
    disturb the worker's partition assignment.
    """
    consumer = Consumer({"bootstrap.servers": settings.kafka_bootstrap,
                         "group.id": settings.app_id, "enable.auto.commit": False})
    try:
        metadata = consumer.list_topics(timeout=10)
        partitions = [TopicPartition(f"{settings.topic_prefix}{suffix}", number)
                      for suffix in suffixes
                      for number in metadata.topics[f"{settings.topic_prefix}{suffix}"].partitions]
        lag = 0
        for committed in consumer.committed(partitions, timeout=10):
            _low, high = consumer.get_watermark_offsets(committed, timeout=10)
            lag += high - max(committed.offset, 0) if committed.offset >= 0 else high
        return lag
    finally:
        consumer.close()
