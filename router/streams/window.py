"""Input batches handled a few at a time, each acknowledged once it and every batch
before it were handled.

Why more than one at a time: most of a batch's time is spent waiting on Redis (its
upserts, then its agent reads, then its commits) while the worker's CPU idles, and then
Redis idles while the worker decides the next batch. With the next batch started while
one waits, the two overlap. Order within a key is Ingest's to keep (it chains a key's
records across the batches out), and acknowledgement stays in arrival order, so a
restart after a crash redelivers from the oldest record not yet handled, as with one
batch at a time.

A batch that fails, or cannot finish when the worker stops, ends the process before it
is acknowledged: its records are delivered again, as after a crash, rather than
committed unhandled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

log = logging.getLogger(__name__)

STOP_GRACE_S = 30.0
"""How long a stopping worker lets the batches in hand finish."""

Acknowledge = Callable[[Sequence[Any]], Awaitable[None]]


class BatchWindow:
    """At most `depth` batches of one input stream out at once."""

    def __init__(self, depth: int, acknowledge: Acknowledge, name: str) -> None:
        if depth < 1:
            raise ValueError(f"depth must be at least 1, not {depth}")
        self._room = asyncio.Semaphore(depth)
        self._acknowledge = acknowledge
        self._name = name
        self._last: asyncio.Future[None] | None = None

    async def start(self, handle: Callable[[], Awaitable[None]],
                    events: Sequence[Any]) -> None:
        """Starts handling a batch as soon as fewer than `depth` are out; does not wait
        for it. `events` are acknowledged after it and the batches before it."""
        await self._room.acquire()
        try:
            handling = asyncio.ensure_future(handle())
        except BaseException:
            self._room.release()
            raise
        self._last = asyncio.ensure_future(self._finish(handling, events, self._last))

    async def _finish(self, handling: asyncio.Future[None], events: Sequence[Any],
                      previous: asyncio.Future[None] | None) -> None:
        try:
            await settled(handling, self._name)
            if previous is not None:
                await previous  # acknowledgements go in arrival order
            await self._acknowledge(events)
        finally:
            self._room.release()

    async def close(self) -> None:
        """Waits until every batch out was handled and acknowledged. On a stop (this
        task cancelled, perhaps repeatedly) it still waits, up to STOP_GRACE_S; a batch
        not done by then ends the process unacknowledged."""
        last = self._last
        if last is None:
            return
        deadline = time.monotonic() + STOP_GRACE_S
        while not last.done() and time.monotonic() < deadline:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait({last}, timeout=deadline - time.monotonic())
        if not last.done():
            _abandon(self._name, None)
        elif not last.cancelled() and last.exception() is not None:
            _abandon(self._name, last)


async def settled(batch: asyncio.Future[None], name: str) -> None:
    """Waits for the batch, which must end handled. A cancelled wait (the worker
    stopping) still waits for the batch, up to STOP_GRACE_S, and then re-raises; a batch
    that fails or does not finish in time ends the process."""
    try:
        await asyncio.shield(batch)
        return
    except asyncio.CancelledError:
        log.warning("%s: stopping; finishing the batch in hand first", name)
        deadline = time.monotonic() + STOP_GRACE_S
        while not batch.done() and time.monotonic() < deadline:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait({batch}, timeout=deadline - time.monotonic())
        if batch.done() and not batch.cancelled() and batch.exception() is None:
            raise
        _abandon(name, batch)
    except Exception:
        _abandon(name, batch)


def _abandon(name: str, batch: asyncio.Future[None] | None) -> None:
    error = None
    if batch is not None and batch.done() and not batch.cancelled():
        error = batch.exception()
    log.critical("%s: a batch could not be handled (%s); exiting without acknowledging "
                 "it, so its records are delivered again", name,
                 repr(error) if error else f"not done after {STOP_GRACE_S:.0f} s",
                 exc_info=error)
    logging.shutdown()
    os._exit(70)  # EX_SOFTWARE; no Faust shutdown: it would commit the acknowledgements
