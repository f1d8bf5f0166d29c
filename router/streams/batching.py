"""Batches of whatever has arrived: the stream's records handed over as soon as there is
one, with everything that queued up behind it.

Why not Faust's `take_events`: it waits out its whole window whenever the buffer is not
full, so at a steady rate every record sat up to that window before anyone looked at it
(10 ms of a 25 ms budget), and a shorter window made batches too small to keep up. Here a
batch closes when the records already queued are in it (plus an optional linger), so
batches stay small when traffic is light and grow by themselves under load, while the
batches before are being handled.

Acknowledgement is the caller's (see window.py): the stream's automatic acks are off and
nothing here acknowledges, because batches are handled a few at a time and a record may
be acknowledged only once it and every record before it were handled.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any


async def take_ready(stream: Any, max_: int, linger_s: float = 0.0
                     ) -> AsyncIterator[list[Any]]:
    """Yield lists of at most `max_` Faust events, unacknowledged: as soon as one is
    buffered (after `linger_s` more, if set, unless the buffer fills first). Records go
    on buffering while the caller handles a batch, up to `max_`."""
    events: list[Any] = []
    ready = asyncio.Event()
    full = asyncio.Event()
    consumed = asyncio.Event()

    async def add_to_buffer(value: Any) -> Any:
        # Runs in the stream's passive drainer, once per record, in order.
        try:
            event = stream.current_event
            if event is None:
                raise RuntimeError("a record reached the batch buffer without its event")
            events.append(event)
            ready.set()
            if len(events) >= max_:
                full.set()
                consumed.clear()  # never more than max_ in one batch
                await stream.wait(consumed)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            stream.log.exception("Error adding to the batch buffer: %r", exc)
            await stream.crash(exc)
        return value

    queued = getattr(stream.channel, "queue", None)

    async def gather_queued() -> None:
        # The stream hands the buffer one record per event-loop turn: give it the turns
        # it needs for the records already queued, no more.
        for _ in range(2 * max_):
            if full.is_set() or queued is None or queued.empty():
                return
            await asyncio.sleep(0)

    previous_acks = stream.enable_acks
    stream.enable_acks = False
    stream.add_processor(add_to_buffer)
    stream._enable_passive(aiter(stream.channel))
    # One watcher for the stream's stop, rather than Faust's `wait_for_stopped` on every
    # batch (two tasks per call: about a twentieth of the worker at 1,000 items/s).
    stop_watch = asyncio.ensure_future(stream.wait_until_stopped())
    stop_watch.add_done_callback(lambda _: ready.set())
    try:
        while not stream.should_stop:
            await ready.wait()
            if stream.should_stop:
                break
            await gather_queued()
            if linger_s > 0 and events and not full.is_set():
                await stream.wait_for_stopped(full, timeout=linger_s)
            if not events:
                # Woken with nothing to take (the stop watcher fired, and Faust resets a
                # stopped stream's flag): wait again, or this loop never yields and the
                # agent's cancellation never arrives.
                ready.clear()
                continue
            batch = list(events)
            events.clear()
            ready.clear()
            full.clear()
            consumed.set()  # a drainer waiting on a full buffer goes on
            yield batch
    finally:
        stop_watch.cancel()
        stream.enable_acks = previous_acks
        stream._processors.remove(add_to_buffer)
