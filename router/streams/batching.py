"""Batches of whatever has arrived: the stream's records handed over as soon as there is
one, with everything that queued up behind it.

Why not Faust's `take_events`: it waits out its whole window whenever the buffer is not
full, so at a steady rate every record sat up to that window before anyone looked at it
(10 ms of a 25 ms budget), and a shorter window made batches too small to keep up. Here a
batch closes when the records already queued are in it (plus an optional linger), so
batches stay small when traffic is light and grow by themselves under load, while the
batches before are being handled.

Why the records are taken from the stream's channel queue here rather than by iterating
the stream: Faust's stream iterator moves one record per turn of the event loop (it
sleeps 0 before each), and under load a turn is whatever input handling became ready,
so the records reached the batches at the rate of loop turns, not at the rate they
arrived: traced at the as-fast-as-possible rate, the consumer waited for input 98% of
the time with room for more batches and records queued. Taking them is what the
iterator does for each record (`faust/_cython/streams.pyx`, `_prepare_event`, Faust
0.15.3), done for every queued record at once, with one difference: records of an older
generation (from before a rebalance) or arriving while flow control is off are left out
but not acknowledged. The iterator acknowledges them because it handles one record at a
time, so everything before them is acknowledged already; here earlier batches may still
be in hand, and Faust commits past a one-offset gap at the head of what was acknowledged
(`Consumer._new_offset`), so such an acknowledgement committed an unhandled record: a
worker stopped while records were queued lost one (the scale-out test, twice). Left
unacknowledged, they are delivered again from the committed offset. Every record handed
over is tracked as unacknowledged, as the iterator tracks it.

Acknowledgement is the caller's (see window.py): nothing here acknowledges a record it
hands over, because batches are handled a few at a time and a record may be
acknowledged only once it and every record before it were handled.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from faust.types import EventT

_STOPPED = object()


async def take_ready(stream: Any, max_: int, linger_s: float = 0.0
                     ) -> AsyncIterator[list[Any]]:
    """Yield lists of at most `max_` Faust events, unacknowledged: as soon as one is
    queued (after `linger_s` more, if set, unless `max_` are there first). Records go on
    queueing in the stream's channel while the caller handles a batch."""
    channel = stream.channel
    if not getattr(channel, "is_iterator", False):
        raise TypeError("take_ready needs a stream over a channel iterator")
    queue = channel.queue
    app = stream.app
    consumer = app.consumer
    acking_topics = app.topics.acking_topics
    track = consumer.unacked.add
    on_message_in = stream._on_message_in
    on_event_in = stream._on_stream_event_in

    def admitted(value: Any) -> Any | None:
        """The event, tracked; None for a record the stream skips (left unacknowledged,
        so it is delivered again: see the module's docstring)."""
        if not isinstance(value, EventT):
            raise RuntimeError(f"a stream of records yielded {type(value).__name__}")
        message = value.message
        if (not app.flow_control.is_active()
                or message.generation_id != app.consumer_generation_id):
            return None
        if message.topic in acking_topics and not message.tracked:
            message.tracked = True
            track(message)
            on_message_in(message.tp, message.offset, message)
        on_event_in(message.tp, message.offset, stream, value)
        stream.events_total += 1
        return value

    # One watcher for the stream's stop, rather than Faust's `wait_for_stopped` on every
    # wait (two tasks per call).
    stop_watch: asyncio.Future[Any] | None = asyncio.ensure_future(
        stream.wait_until_stopped())

    async def next_record(wait_s: float | None = None) -> Any:
        """The next queued record: at once if there is one, else when one arrives;
        _STOPPED if the stream stops first or its channel ends (Faust throws
        StopAsyncIteration into the queue on a stop), None after `wait_s`."""
        nonlocal stop_watch
        try:
            if not queue.empty():
                return queue.get_nowait()
            getter = asyncio.ensure_future(queue.get())
            waiting: set[asyncio.Future[Any]] = {getter}
            if stop_watch is not None:
                waiting.add(stop_watch)
            try:
                done, _ = await asyncio.wait(waiting, timeout=wait_s,
                                             return_when=asyncio.FIRST_COMPLETED)
            finally:
                if not getter.done():
                    getter.cancel()  # an unfinished get takes nothing from the queue
            if getter in done:
                return getter.result()
        except StopAsyncIteration:
            return _STOPPED
        if stop_watch is not None and stop_watch.done():
            # Faust resets a stopped stream's flag: watch once, then wait for records
            # alone, or this would spin on the finished watcher.
            stop_watch = None
            if stream.should_stop:
                return _STOPPED
        return None

    await stream.maybe_start()
    clock = asyncio.get_running_loop().time
    stopped = False
    try:
        while not stopped and not stream.should_stop:
            value = await next_record()
            if value is _STOPPED:
                break
            if value is None:
                continue
            batch: list[Any] = []
            deadline = clock() + linger_s
            while True:  # this record, then what is queued behind it, then the linger
                event = admitted(value)
                if event is not None:
                    batch.append(event)
                if len(batch) >= max_:
                    break
                left = deadline - clock()
                if queue.empty() and left <= 0:
                    break
                value = await next_record(None if not queue.empty() else left)
                if value is None:
                    break
                if value is _STOPPED:
                    stopped = True
                    break
            if batch:
                yield batch
    finally:
        if stop_watch is not None:
            stop_watch.cancel()
