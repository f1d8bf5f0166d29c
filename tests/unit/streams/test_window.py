"""Batches handled a few at a time (router/streams/window.py): how many are out, the
order of acknowledgements, a stopping worker finishing what it holds, and a batch that
fails or hangs ending the process unacknowledged (redelivered, not lost)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import pytest

from router.streams import window
from router.streams.window import BatchWindow


class Exited(Exception):
    """Stands in for the process ending (SystemExit would escape the loop)."""


@pytest.fixture
def exits(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    codes: list[int] = []

    def fake_exit(code: int) -> None:
        codes.append(code)
        raise Exited(code)

    monkeypatch.setattr(window.os, "_exit", fake_exit)
    monkeypatch.setattr(window, "STOP_GRACE_S", 0.2)
    return codes


class Acks:
    def __init__(self) -> None:
        self.acked: list[Any] = []

    async def __call__(self, events: Sequence[Any]) -> None:
        self.acked.extend(events)


def _work(seconds: float, log: list[str], name: str) -> Callable[[], Awaitable[None]]:
    async def handle() -> None:
        log.append(f"{name} started")
        await asyncio.sleep(seconds)
        log.append(f"{name} handled")
    return handle


def test_no_more_than_depth_batches_are_handled_at_once() -> None:
    async def scenario() -> int:
        acks = Acks()
        out = BatchWindow(2, acks, "work-items")
        running = most = 0

        async def handle() -> None:
            nonlocal running, most
            running += 1
            most = max(most, running)
            await asyncio.sleep(0.02)
            running -= 1

        for n in range(6):
            await out.start(handle, [n])
        await out.close()
        assert acks.acked == list(range(6))
        return most

    assert asyncio.run(scenario()) == 2


def test_a_batch_that_finishes_first_waits_for_the_earlier_ones_to_be_acknowledged() -> None:
    async def scenario() -> list[str]:
        log: list[str] = []

        async def acknowledge(events: Sequence[Any]) -> None:
            log.append(f"ack {events[0]}")

        out = BatchWindow(3, acknowledge, "work-items")
        await out.start(_work(0.10, log, "slow"), ["slow"])
        await out.start(_work(0.01, log, "quick"), ["quick"])
        await out.close()
        return log

    assert asyncio.run(scenario()) == [
        "slow started", "quick started", "quick handled", "slow handled",
        "ack slow", "ack quick",
    ]


def test_a_batch_is_acknowledged_as_soon_as_it_is_handled_without_waiting_for_more() -> None:
    # Offsets are committed from acknowledgements: the last batch before a quiet spell
    # must not wait for the next batch to be acknowledged.
    async def scenario() -> list[Any]:
        acks = Acks()
        out = BatchWindow(3, acks, "work-items")
        await out.start(_work(0.01, [], "only"), ["only"])
        await asyncio.sleep(0.05)
        return acks.acked

    assert asyncio.run(scenario()) == ["only"]


def test_a_stop_waits_for_the_batches_in_hand_and_acknowledges_them() -> None:
    async def scenario() -> tuple[list[str], list[Any]]:
        log: list[str] = []
        acks = Acks()
        out = BatchWindow(3, acks, "work-items")

        async def consumer() -> None:
            try:
                await out.start(_work(0.10, log, "a"), ["a"])
                await out.start(_work(0.05, log, "b"), ["b"])
                await asyncio.sleep(60)  # waiting for the next batch
            finally:
                await out.close()

        task = asyncio.ensure_future(consumer())
        await asyncio.sleep(0.02)
        task.cancel()  # Faust stopping the actor
        await asyncio.sleep(0.01)
        task.cancel()  # and again: close keeps waiting
        with pytest.raises(asyncio.CancelledError):
            await task
        log.append("stopped")
        return log, acks.acked

    log, acked = asyncio.run(scenario())
    assert log[-1] == "stopped" and {"a handled", "b handled"} <= set(log)
    assert acked == ["a", "b"]


def test_a_failed_batch_ends_the_process_and_nothing_from_it_on_is_acknowledged(
    exits: list[int],
) -> None:
    async def scenario() -> list[Any]:
        acks = Acks()
        out = BatchWindow(3, acks, "work-items")

        async def fails() -> None:
            await asyncio.sleep(0.01)
            raise RuntimeError("dead-letter topic unreachable")

        await out.start(_work(0.001, [], "before"), ["before"])
        await out.start(fails, ["failed"])
        await out.start(_work(0.001, [], "after"), ["after"])
        with pytest.raises(Exited):
            await out.close()
        return acks.acked

    assert asyncio.run(scenario()) == ["before"]
    assert exits and set(exits) == {70}


def test_a_stop_with_a_batch_that_cannot_finish_ends_the_process(exits: list[int]) -> None:
    async def scenario() -> list[Any]:
        acks = Acks()
        out = BatchWindow(3, acks, "work-items")
        await out.start(_work(60, [], "hangs"), ["hangs"])
        with pytest.raises(Exited):
            await out.close()
        return acks.acked

    assert asyncio.run(scenario()) == []
    assert exits[:1] == [70]  # the stand-in exit returns, so the batch's own wait ends later


def test_a_depth_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="depth"):
        BatchWindow(0, Acks(), "work-items")


def test_settled_waits_for_the_batch_in_hand_when_cancelled_then_stops() -> None:
    async def scenario() -> list[str]:
        seen: list[str] = []

        async def batch_work() -> None:
            await asyncio.sleep(0.2)
            seen.append("batch handled")

        batch = asyncio.ensure_future(batch_work())
        waiter = asyncio.ensure_future(window.settled(batch, "work-items"))
        await asyncio.sleep(0.05)
        waiter.cancel()  # Faust stopping the actor
        with pytest.raises(asyncio.CancelledError):
            await waiter
        seen.append("stopped")
        return seen

    assert asyncio.run(scenario()) == ["batch handled", "stopped"]


@pytest.mark.parametrize("failure", ["raises", "hangs"])
def test_settled_ends_the_process_when_the_batch_fails_or_hangs(
    failure: str, exits: list[int],
) -> None:
    async def scenario() -> None:
        async def batch_work() -> None:
            if failure == "raises":
                raise RuntimeError("dead-letter topic unreachable")
            await asyncio.sleep(60)

        batch = asyncio.ensure_future(batch_work())
        waiter = asyncio.ensure_future(window.settled(batch, "work-items"))
        if failure == "hangs":
            await asyncio.sleep(0.01)
            waiter.cancel()
        with pytest.raises(Exited):
            await waiter
        batch.cancel()

    asyncio.run(scenario())
    assert exits == [70]
