"""The relay on its own thread (router/streams/relay_thread.py): woken from another
thread, stopped with a final round and the leases released, its connection closed on
its own loop. The relay here is a recording stand-in with OutboxRelay's interface; the
real relay on a real broker and Redis is tests/integration/streams/test_outbox_relay.py,
and the worker runs this thread in every streams integration test."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from router.streams.relay_thread import RelayThread


class RecordingRelay:
    def __init__(self) -> None:
        self.holding: set[str] = {"t"}
        self.calls: list[str] = []
        self.wakes = 0
        self.loops: set[Any] = set()
        self.threads: set[int] = set()
        self._wakeup: asyncio.Event | None = None

    def wake(self) -> None:
        self.wakes += 1
        assert self._wakeup is not None
        self._wakeup.set()

    async def run(self, stopping: asyncio.Event) -> None:
        self._wakeup = asyncio.Event()
        self.loops.add(asyncio.get_running_loop())
        self.threads.add(threading.get_ident())
        while not stopping.is_set():
            self._wakeup.clear()
            self.calls.append("round")
            waiter = asyncio.ensure_future(self._wakeup.wait())
            stop = asyncio.ensure_future(stopping.wait())
            await asyncio.wait({waiter, stop}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            stop.cancel()

    async def run_once(self) -> int:
        self.calls.append("final round")
        return 0

    async def release(self) -> None:
        self.calls.append("release")


def _until(condition: Any, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_wakes_from_another_thread_and_stops_after_a_final_round() -> None:
    relay = RecordingRelay()
    closed: list[int] = []

    async def close() -> None:
        closed.append(threading.get_ident())

    thread = RelayThread(relay, close=close)  # type: ignore[arg-type]
    thread.start()
    _until(lambda: relay.calls.count("round") == 1)
    thread.wake()
    _until(lambda: relay.calls.count("round") == 2)
    assert thread.holding == {"t"}
    thread.stop()
    assert relay.calls[-2:] == ["final round", "release"]
    assert closed and closed[0] in relay.threads  # closed on the relay's own thread
    assert threading.get_ident() not in relay.threads


def test_wakes_asked_before_the_relay_looks_again_are_handed_over_once() -> None:
    relay = RecordingRelay()
    thread = RelayThread(relay)  # type: ignore[arg-type]
    thread.start()
    _until(lambda: relay.calls.count("round") == 1)
    for _ in range(100):  # one commit after another, faster than the relay's loop turns
        thread.wake()
    _until(lambda: relay.wakes >= 1)
    time.sleep(0.05)
    assert 1 <= relay.wakes < 100
    thread.stop()


def test_wake_before_start_and_after_stop_is_harmless() -> None:
    relay = RecordingRelay()
    thread = RelayThread(relay)  # type: ignore[arg-type]
    thread.wake()  # no loop yet: nothing to wake
    thread.start()
    thread.stop()
    thread.wake()  # the loop has closed
    assert relay.calls[-1] == "release"
