"""A timer thread for the simulated people: think times, handle times, breaks.

Thousands of pending actions (one per live item) are cheap in a heap served by one
thread, where a thread or `threading.Timer` per action would not be.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


class Scheduler(threading.Thread):
    def __init__(self) -> None:
        super().__init__(name="demo-scheduler", daemon=True)
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._stopping = False

    def after(self, delay_s: float, action: Callable[[], None]) -> None:
        with self._cond:
            heapq.heappush(self._heap, (time.monotonic() + delay_s, next(self._seq), action))
            self._cond.notify()

    def pending(self) -> int:
        with self._cond:
            return len(self._heap)

    def run(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and (
                    not self._heap or self._heap[0][0] > time.monotonic()
                ):
                    timeout = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._cond.wait(timeout)
                if self._stopping:
                    return
                _, _, action = heapq.heappop(self._heap)
            try:
                action()
            except Exception:  # one failed action must not stop every simulated agent
                log.exception("demo: a scheduled action failed")

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify()
        self.join(5)
