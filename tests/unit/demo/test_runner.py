"""The demo's start-up: Ctrl-C while it waits for Kafka ends it quietly."""

from __future__ import annotations

import dataclasses
import io
import threading
import time

from router.demo.runner import DemoOptions, run_demo
from router.settings import Settings


def test_a_stop_while_waiting_for_the_topics_ends_the_demo_without_an_error() -> None:
    # Nothing listens on port 1: the subscriber is never assigned, as when Kafka is slow.
    settings = dataclasses.replace(Settings(), kafka_bootstrap="127.0.0.1:1")
    # (librdkafka logs each refused connection on stderr meanwhile)
    stop = threading.Event()
    threading.Timer(0.5, stop.set).start()  # Ctrl-C half a second in
    started = time.monotonic()
    result = run_demo(settings, DemoOptions(rate=1.0, duration_s=5.0), out=io.StringIO(),
                      stop=stop)
    assert result.snapshot.published == 0
    assert time.monotonic() - started < 8  # not held by the subscriber's wait
