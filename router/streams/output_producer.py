"""Publishes the relay's batches with librdkafka (confluent-kafka), not aiokafka.

Why a second producer next to Faust's: aiokafka builds and sends produce requests in
Python on the worker's event loop, which measured about a tenth of the worker's time
(partitioning, record batches, requests). librdkafka does that work in C on its own
threads; the loop only hands records over. The relay needs one answer per batch (all
acknowledged or not), so only failures reach Python, and the batch is waited for once,
in librdkafka's flush.

Settings match what the router relies on: idempotent (a retried request is never
written twice, and order per partition holds), acks from all replicas, and the murmur2
partitioner that Faust/aiokafka and the client SDK use, so an output lands on the
partition its key names whoever produces it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from router.topics import DEAD_LETTER_MAX_MESSAGE_BYTES, FIXED_PRODUCER_SETTINGS

log = logging.getLogger(__name__)

Record = tuple[str, bytes, bytes]
"""(topic, key, value)."""


DELIVERY_TIMEOUT_MS = 4_000
"""librdkafka gives up on a record after this (default 300 s). Kept under the relay's
5 s lease: records a dead or stalled holder still has queued must fail, not land after
those of the next holder, which publishes the same slots again."""


class OutputProducer:
    """One batch at a time, from one caller (the relay): only failed deliveries call back
    into Python, and a batch is done when librdkafka's queue is empty again (`flush`).

    confluent-kafka applies `delivery.report.only.error` in its own C callback, not in
    librdkafka: a report is still queued for every record, counts in `len()` of the
    producer until a flush or poll serves it, and serving it takes the interpreter lock
    once per record before the success is dropped. So delivery cannot be read without a
    flush or poll, each of which gives the interpreter up and waits to get it back.

    The flush blocks the calling thread, which is meant to be the relay process.s
    (relay_child.py): its loop has nothing else to run meanwhile, and a flush handed to
    an executor cost two thread hops per batch, each a wait for the interpreter while the
    worker's thread held it (several milliseconds under load)."""

    def __init__(self, bootstrap: str, *, linger_ms: float = 0.5) -> None:
        self._failures: list[KafkaError] = []
        self._producer = Producer({
            "bootstrap.servers": bootstrap,
            **FIXED_PRODUCER_SETTINGS,
            "acks": "all",
            "linger.ms": linger_ms,
            "message.max.bytes": DEAD_LETTER_MAX_MESSAGE_BYTES,
            "message.timeout.ms": DELIVERY_TIMEOUT_MS,
            "delivery.report.only.error": True,
            "on_delivery": self._failed,
            "error_cb": _log_error,
        })

    def _failed(self, error: KafkaError | None, _message: Message) -> None:
        if error is not None:  # only failures are reported
            self._failures.append(error)

    async def send_batch(self, records: Sequence[Record]) -> None:
        """Returns once the broker acknowledged every record; raises if any failed (the
        relay then keeps its cursor and publishes the batch again)."""
        if not records:
            return
        self._failures = []  # a batch's outcome is whatever failed while it ran
        produce = self._producer.produce
        for topic, key, value in records:
            while True:
                try:
                    produce(topic, value, key)
                    break
                except BufferError:  # librdkafka's queue is full: let it drain
                    self._producer.poll(0.005)
        # Every record is delivered or failed within the delivery timeout; the margin
        # covers a slow broker acknowledgement of the last ones.
        left = self._producer.flush(DELIVERY_TIMEOUT_MS / 1000 + 10)
        if self._failures:
            raise KafkaException(self._failures[0])
        if left:
            raise KafkaException(KafkaError(KafkaError._MSG_TIMED_OUT,
                                            f"{left} records not delivered"))

    def close(self, timeout_s: float = 10.0) -> int:
        """Flush; how many records were left undelivered."""
        return int(self._producer.flush(timeout_s))


def _log_error(error: KafkaError) -> None:
    if error.fatal():
        log.critical("output producer: fatal %s; outputs stay in the outbox", error)
    else:
        log.warning("output producer: %s", error)
