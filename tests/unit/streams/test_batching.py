"""Input batches (router/streams/batching.py) on a real Faust stream over an in-memory
channel: what a batch holds, when it is handed over, and when its records are
acknowledged (never here: see test_window.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import faust

from router.streams.batching import take_ready

Body = Callable[[list[Any]], Awaitable[None]]


def _stream(name: str) -> tuple[faust.App, Any, Any]:
    """An app, an in-memory channel and a stream over it, ready to consume."""
    app = faust.App(name, broker="kafka://127.0.0.1:1", web_enabled=False)
    app.flow_control.resume()  # the stream skips every record while flow control is off
    channel = app.channel()
    return app, channel, app.stream(channel)


def _on_ack(stream: Any, seen: Callable[[Any], None]) -> None:
    """Calls `seen` with every event the stream acknowledges."""
    original_ack = stream.ack

    async def ack(event: Any) -> bool:
        seen(event)
        return bool(await original_ack(event))

    stream.ack = ack


async def _collect(stream: Any, max_: int, batches: list[list[int]],
                   linger_s: float = 0.0) -> None:
    async for events in take_ready(stream, max_, linger_s):
        batches.append([event.value for event in events])


async def _cancel(task: asyncio.Future[Any]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def _run(values: list[int], max_: int, body: Body, *, before: bool,
               wait_s: float = 5.0) -> tuple[list[list[int]], list[tuple[int, bool]]]:
    """Feeds `values` to a stream (before or after the consumer starts) and consumes
    it with `take_ready`; returns the batches and the acknowledgements, each with
    whether its batch was still being handled."""
    _app, channel, stream = _stream("test-batching")
    batches: list[list[int]] = []
    acks: list[tuple[int, bool]] = []
    handling = False
    _on_ack(stream, lambda event: acks.append((event.value, handling)))

    async def consume() -> None:
        nonlocal handling
        async for events in take_ready(stream, max_):
            handling = True
            batches.append([event.value for event in events])
            await body(events)
            handling = False

    if before:
        for value in values:
            await channel.send(value=value)
    task = asyncio.ensure_future(consume())
    if not before:
        for value in values:
            await channel.send(value=value)
    try:
        await asyncio.wait_for(_until(lambda: sum(map(len, batches)) == len(values)
                                      and not handling), wait_s)
        await asyncio.sleep(0.01)  # the last batch's acknowledgements
    finally:
        await _cancel(task)
    return batches, acks


async def _until(condition: Callable[[], bool]) -> None:
    while not condition():  # noqa: ASYNC110 - polls plain lists the consumer fills
        await asyncio.sleep(0.001)


async def _idle(_events: list[Any]) -> None:
    await asyncio.sleep(0.01)


def test_a_batch_holds_what_queued_up_behind_its_first_record_up_to_the_maximum() -> None:
    batches, _ = asyncio.run(_run(list(range(7)), 3, _idle, before=True))
    assert batches == [[0, 1, 2], [3, 4, 5], [6]]


def test_a_lone_record_is_handed_over_without_waiting_for_others() -> None:
    # Faust's take_events would hold it until its window closed or 500 more arrived.
    batches, _ = asyncio.run(_run([42], 500, _idle, before=False, wait_s=5.0))
    assert batches == [[42]]


def test_records_arriving_while_a_batch_is_handled_form_the_next_batch() -> None:
    async def scenario() -> list[list[int]]:
        _app, channel, stream = _stream("test-batching-2")
        batches: list[list[int]] = []
        release = asyncio.Event()

        async def consume() -> None:
            async for events in take_ready(stream, 10):
                batches.append([event.value for event in events])
                if len(batches) == 1:
                    await release.wait()

        task = asyncio.ensure_future(consume())
        await channel.send(value=0)
        await asyncio.wait_for(_until(lambda: len(batches) == 1), 5)
        for value in range(1, 5):  # arrive while 0 is being handled
            await channel.send(value=value)
        release.set()
        await asyncio.wait_for(_until(lambda: sum(map(len, batches)) == 5), 5)
        await _cancel(task)
        return batches

    assert asyncio.run(scenario()) == [[0], [1, 2, 3, 4]]


def test_acknowledgement_is_left_to_the_caller() -> None:
    # Batches are handled a few at a time and acknowledged in order by window.py; an
    # acknowledgement here would commit records that are still being handled.
    batches, acks = asyncio.run(_run(list(range(5)), 2, _idle, before=True))
    assert sum(map(len, batches)) == 5
    assert acks == []


def test_a_consumer_waiting_for_records_stops_when_cancelled() -> None:
    # A worker shutting down cancels its remaining tasks (app._settled covers a batch in
    # hand); a stream stop is watched separately (see take_ready).
    async def scenario() -> bool:
        _app, _channel, stream = _stream("test-batching-3")

        async def consume() -> None:
            async for _events in take_ready(stream, 10):
                pass

        task = asyncio.ensure_future(consume())
        await asyncio.sleep(0.05)
        task.cancel()
        await asyncio.wait_for(asyncio.gather(task, return_exceptions=True), 5)
        return task.cancelled()

    assert asyncio.run(scenario())


def test_batches_end_when_the_channel_is_stopped() -> None:
    # Faust stops a stream by throwing StopAsyncIteration into its channel's queue; a
    # generator that let it through would crash its agent (the supervisor restarts it,
    # and a SIGTERM'd worker never stops: test_sigterm_stops_the_worker_cleanly).
    async def scenario() -> list[list[int]]:
        _app, channel, stream = _stream("test-batching-4")
        batches: list[list[int]] = []
        task = asyncio.ensure_future(_collect(stream, 10, batches))
        await channel.send(value=1)
        await asyncio.wait_for(_until(lambda: batches == [[1]]), 5)
        await stream.channel.throw(StopAsyncIteration())
        await asyncio.wait_for(task, 5)  # ends by itself, without an error
        return batches

    assert asyncio.run(scenario()) == [[1]]


def test_records_of_an_older_generation_are_left_out_unacknowledged() -> None:
    # Acknowledged, they could be committed while earlier batches are still in hand, and
    # Faust commits past a one-offset gap at the head: the record would be lost.
    async def scenario() -> tuple[list[list[int]], list[int]]:
        app, channel, stream = _stream("test-batching-5")
        acked: list[int] = []
        _on_ack(stream, lambda event: acked.append(event.value))
        for value in range(3):
            await channel.send(value=value)
        queue = stream.channel.queue
        await asyncio.wait_for(_until(lambda: queue.qsize() == 3), 5)
        # The first two records were fetched before a rebalance moved the generation on.
        events = [queue.get_nowait() for _ in range(3)]
        for event in events[:2]:
            event.message.generation_id = app.consumer_generation_id - 1
        for event in events:
            queue.put_nowait(event)
        batches: list[list[int]] = []
        task = asyncio.ensure_future(_collect(stream, 10, batches))
        await asyncio.wait_for(_until(lambda: bool(batches)), 5)
        await _cancel(task)
        return batches, acked

    batches, acked = asyncio.run(scenario())
    assert batches == [[2]]
    assert acked == []


def test_a_linger_holds_the_batch_open_for_records_arriving_within_it() -> None:
    async def scenario(linger_s: float) -> list[list[int]]:
        _app, channel, stream = _stream("test-batching-6")
        batches: list[list[int]] = []
        task = asyncio.ensure_future(_collect(stream, 10, batches, linger_s))
        await channel.send(value=0)
        await asyncio.sleep(0.05)  # within a 1 s linger, after a batch without one
        await channel.send(value=1)
        await asyncio.wait_for(_until(lambda: sum(map(len, batches)) == 2), 5)
        await _cancel(task)
        return batches

    assert asyncio.run(scenario(1.0)) == [[0, 1]]
    assert asyncio.run(scenario(0.0)) == [[0], [1]]
