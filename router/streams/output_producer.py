"""Publishes the relay's batches with librdkafka (confluent-kafka), not aiokafka.

Why a second producer next to Faust's: aiokafka builds and sends produce requests in
Python on the worker's event loop, which measured about a tenth of the worker's time
(partitioning, record batches, requests). librdkafka does that work in C on its own
threads; the loop only hands records over. The relay needs one answer per batch (all
acknowledged or not), so delivery reports are counted on librdkafka's poll thread and the
loop is woken once per batch.

Settings match what the router relies on: idempotent (a retried request is never
written twice, and order per partition holds), acks from all replicas, and the murmur2
partitioner that Faust/aiokafka and the client SDK use, so an output lands on the
partition its key names whoever produces it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
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
    def __init__(self, bootstrap: str, *, linger_ms: float = 0.5,
                 poll_interval_s: float = 0.05) -> None:
        self._producer = Producer({
            "bootstrap.servers": bootstrap,
            **FIXED_PRODUCER_SETTINGS,
            "acks": "all",
            "linger.ms": linger_ms,
            "message.max.bytes": DEAD_LETTER_MAX_MESSAGE_BYTES,
            "message.timeout.ms": DELIVERY_TIMEOUT_MS,
            "error_cb": _log_error,
        })
        self._poll_interval_s = poll_interval_s
        self._stopping = threading.Event()
        self._poller = threading.Thread(target=self._serve_reports,
                                        name="output-delivery-reports", daemon=True)
        self._poller.start()

    def _serve_reports(self) -> None:
        while not self._stopping.is_set():
            try:
                self._producer.poll(self._poll_interval_s)
            except Exception:  # a report's callback failed: keep serving the others
                log.exception("serving output delivery reports")

    async def send_batch(self, records: Sequence[Record]) -> None:
        """Returns once the broker acknowledged every record; raises if any failed (the
        relay then keeps its cursor and publishes the batch again)."""
        if not records:
            return
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        remaining = len(records)
        failures: list[KafkaError] = []

        def settle() -> None:
            if done.done():  # the waiting relay was cancelled
                return
            if failures:
                done.set_exception(KafkaException(failures[0]))
            else:
                done.set_result(None)

        def report(error: KafkaError | None, _message: Message) -> None:
            nonlocal remaining  # only one thread serves reports at a time (see close)
            if error is not None:
                failures.append(error)
            remaining -= 1
            if remaining == 0:
                with contextlib.suppress(RuntimeError):  # the loop has closed
                    loop.call_soon_threadsafe(settle)

        for topic, key, value in records:
            while True:
                try:
                    self._producer.produce(topic, value, key, on_delivery=report)
                    break
                except BufferError:  # librdkafka's queue is full: let it drain
                    await asyncio.sleep(0.005)
        # Every record gets a report within the delivery timeout; the margin covers a
        # report thread that is slow to run, so a lost report cannot hang the relay.
        await asyncio.wait_for(done, DELIVERY_TIMEOUT_MS / 1000 + 10)

    def close(self, timeout_s: float = 10.0) -> int:
        """Stop the report thread, then flush (which serves the remaining reports on
        this thread, never two at once); how many records were left undelivered."""
        self._stopping.set()
        self._poller.join(timeout_s)
        return int(self._producer.flush(timeout_s))


def _log_error(error: KafkaError) -> None:
    if error.fatal():
        log.critical("output producer: fatal %s; outputs stay in the outbox", error)
    else:
        log.warning("output producer: %s", error)
