"""The bare Kafka round trip: produce, consume, nothing in between.

What a benchmark of the router cannot beat on this machine: the same producer settings,
the same message bytes, the same rates, through one topic with as many partitions as the
router's inputs, read back by the same kind of consumer. The router's figures are
reported as ratios to these.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from confluent_kafka import Message

from router.bench.cpu import Meter, start_phase
from router.bench.latency import Phase, summarize
from router.bench.progress import ProgressFn, wait_for
from router.bench.wire import Receiver, create_topic, key_text, producer, send_paced
from router.settings import Settings


class BareRoundTrip:
    """One topic, one producer, one receiver thread."""

    def __init__(self, settings: Settings, topic: str, cpu: Meter | None = None) -> None:
        self.topic = topic
        self._cpu = cpu
        create_topic(settings, topic)
        self._producer = producer(settings)
        self._lock = threading.Lock()
        self._received: dict[str, float] = {}
        self._receiver = Receiver(settings, [topic], self._on_batch)
        self._receiver.start()

    def _on_batch(self, batch: Sequence[Message], at: float) -> None:
        with self._lock:
            for message in batch:
                self._received.setdefault(key_text(message), at)

    def received(self, keys: Sequence[str]) -> int:
        with self._lock:
            return sum(1 for key in keys if key in self._received)

    def run(self, name: str, payloads: Sequence[tuple[bytes, bytes]], rate: float | None,
            wait_s: float, progress: ProgressFn) -> Phase:
        """Send `payloads` (key, value) at `rate`; wait up to `wait_s` for the last one."""
        metered = start_phase(self._cpu)
        sent = send_paced(self._producer, self.topic, payloads, rate)
        keys = list(sent)
        wait_for(lambda: self.received(keys), len(keys), wait_s, name, progress)
        with self._lock:
            received = {key: self._received[key] for key in keys if key in self._received}
        return metered(summarize(name, sent, received, rate=rate))

    def close(self) -> None:
        self._receiver.stop()
        self._producer.flush(10)
