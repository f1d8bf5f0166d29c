"""The worker's side of its outbox relay process (relay_child.py): starts it, asks it
for its metrics, restarts it when it dies, and stops it.

Why a supervisor in the worker rather than a second service to deploy: the relay
publishes the outboxes of the tenants the worker serves, with the worker's settings, and
lives exactly as long as the worker; operators run one command per worker as before.
While no relay process runs, inputs are still handled (their outputs wait in Redis) and
readiness says why the worker is not ready.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from collections import deque

import orjson

from router.settings import Settings
from router.streams.relay_child import FINAL_ROUND_S, METRICS

log = logging.getLogger(__name__)

READY_S = 30.0
"""Longest wait for a new relay process to say it runs (imports and config)."""
STOP_S = FINAL_ROUND_S + 15.0
"""Its final round, the release of its leases and the producer's flush, with margin."""
RESTART_S = 1.0
METRICS_S = 5.0
REPLY_LIMIT = 64 * 1024 * 1024
"""Longest reply line: the metrics exposition, every queue's histograms included."""


class RelayProcess:
    def __init__(self, settings: Settings, owner: str, *, restart_s: float = RESTART_S) -> None:
        self._settings = settings
        self._owner = owner
        """Kept by every relay process it starts: a successor of one that died renews
        that one's leases at once instead of waiting for them to lapse."""
        self._restart_s = restart_s
        self.holding: set[str] = set()
        """Tenants whose lease the relay process held at its last report."""
        self.restarts = 0
        self._process: asyncio.subprocess.Process | None = None
        self._up = False
        self._stopping = False
        self._replies: deque[asyncio.Future[bytes]] = deque()
        self._ready = asyncio.Event()
        self._supervisor: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def running(self) -> bool:
        return self._up

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    async def start(self) -> None:
        """Returns once the first relay process runs; raises if none came up in time."""
        self._loop = asyncio.get_running_loop()
        self._supervisor = asyncio.create_task(self._supervise(), name="outbox-relay")
        try:
            await asyncio.wait_for(self._ready.wait(), READY_S)
        except TimeoutError:
            raise RuntimeError(f"the outbox relay process did not start within {READY_S:.0f} s "
                               "(its errors are in this log)") from None

    async def metrics_text(self) -> bytes:
        """The relay process's exposition; empty while none runs or it does not answer."""
        process = self._process
        if process is None or process.stdin is None or not self._up or self._loop is None:
            return b""
        waiter: asyncio.Future[bytes] = self._loop.create_future()
        self._replies.append(waiter)
        process.stdin.write(METRICS)
        try:
            return await asyncio.wait_for(waiter, METRICS_S)
        except TimeoutError:
            log.warning("the outbox relay process sent no metrics within %.0f s", METRICS_S)
            return b""

    async def stop(self) -> None:
        """Ends the relay after its final round and the release of its leases (so another
        worker takes over at once)."""
        self._stopping = True
        process = self._process
        if process is not None:
            if process.stdin is not None:
                process.stdin.close()  # end of input: the final round, then exit
            try:
                await asyncio.wait_for(process.wait(), STOP_S)
            except TimeoutError:
                log.error("the outbox relay process did not stop within %.0f s; killed", STOP_S)
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
        supervisor = self._supervisor
        if supervisor is not None:
            # It returns on its own: after the last replies, or after its wait before
            # a restart.
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(supervisor, STOP_S)

    async def _supervise(self) -> None:
        while not self._stopping:
            try:
                process = await self._spawn()
            except OSError:
                log.exception("could not start the outbox relay process")
            else:
                self._process = process
                if self._stopping and process.stdin is not None:
                    process.stdin.close()  # stopped while this one was starting
                try:
                    await self._read(process)
                except Exception:  # a broken reply: start a process that talks sense
                    log.exception("unreadable reply from the outbox relay process; "
                                  "restarting it")
                    with contextlib.suppress(ProcessLookupError):
                        process.kill()
                code = await process.wait()
                self._ended()
                if self._stopping:
                    return
                self.restarts += 1
                log.error("the outbox relay process %d ended (exit code %s); starting another "
                          "in %.0f s", process.pid, code, self._restart_s)
            await asyncio.sleep(self._restart_s)

    async def _spawn(self) -> asyncio.subprocess.Process:
        level = logging.getLevelName(logging.getLogger("router").getEffectiveLevel())
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "router.streams.relay_child",
            "--owner", self._owner, "--loglevel", str(level).lower(),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            env={**os.environ, **self._settings.to_env()}, limit=REPLY_LIMIT)

    async def _read(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        while line := await process.stdout.readline():
            message = orjson.loads(line)
            if "metrics" in message:
                waiter = self._replies.popleft()  # replies come in the order asked
                if not waiter.done():  # else its scrape gave up waiting
                    waiter.set_result(message["metrics"].encode())
            elif "holding" in message:
                self.holding = set(message["holding"])
            elif message.get("ready"):
                self._up = True
                self._ready.set()

    def _ended(self) -> None:
        self._process = None
        self._up = False
        self.holding = set()
        while self._replies:
            waiter = self._replies.popleft()
            if not waiter.done():
                waiter.set_result(b"")
