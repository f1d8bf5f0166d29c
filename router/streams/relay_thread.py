"""The outbox relay on a thread and event loop of its own.

Why: on the worker's loop every await of the relay (take the batch, hand it to the
producer, acknowledge it) waited for a whole turn of that loop, and under load a turn
is a batch of input handling: tens of milliseconds. A round took three of them, so the
relay published about a thousand items a second however fast the rest went, and each
published output waited that long. On its own loop the relay waits only for Redis, the
broker and its share of the interpreter, and its Python work overlaps the worker's
waits on Redis.

The relay's Redis connection is its own (a backend used on this thread only). The rest
of the worker touches it in two places, both safe across threads: `wake`, which input
handling calls after every commit, and `holding`, read by the state collector.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Awaitable, Callable

from router.streams.relay import OutboxRelay

log = logging.getLogger(__name__)

FINAL_ROUND_S = 5.0


class RelayThread:
    def __init__(self, relay: OutboxRelay,
                 close: Callable[[], Awaitable[None]] | None = None) -> None:
        self.relay = relay
        self._close = close
        """Run on the relay's loop after its last round (its Redis connection)."""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._started = threading.Event()
        self._woken = False
        self._thread = threading.Thread(target=self._main, name="outbox-relay", daemon=True)

    @property
    def holding(self) -> set[str]:
        return self.relay.holding

    def start(self) -> None:
        self._thread.start()
        self._started.wait()

    def wake(self) -> None:
        """New outputs were committed: publish now. One hand-over to the relay's loop
        per round, however many commits ask (each costs a write to the loop's pipe)."""
        loop = self._loop
        if loop is None or self._woken:
            return
        self._woken = True
        with contextlib.suppress(RuntimeError):  # the relay's loop closed: nothing to wake
            loop.call_soon_threadsafe(self._wake_here)

    def _wake_here(self) -> None:
        self._woken = False
        self.relay.wake()

    def stop(self, timeout_s: float = FINAL_ROUND_S + 5.0) -> None:
        """Ends the relay after a final round and the release of its leases (so another
        worker takes over at once); blocks until then, at most `timeout_s`."""
        loop, stopping = self._loop, self._stopping
        if loop is not None and stopping is not None and self._thread.is_alive():
            loop.call_soon_threadsafe(stopping.set)
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            log.error("outbox relay did not stop within %.0f s", timeout_s)

    def _main(self) -> None:
        try:
            asyncio.run(self._serve())
        except Exception:  # logged; the worker's health does not depend on this thread
            log.exception("outbox relay thread ended")
        finally:
            self._started.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        self._started.set()
        try:
            await self.relay.run(self._stopping)
            try:
                await asyncio.wait_for(self.relay.run_once(), FINAL_ROUND_S)
                await self.relay.release()
            except Exception:  # the next holder publishes whatever is left
                log.exception("final outbox relay round failed")
        finally:
            if self._close is not None:
                await self._close()
