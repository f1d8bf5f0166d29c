"""TurnBatch: entries of one loop turn carried out together, each caller with its own
answer or error."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence

import pytest

from router.state.turn_batch import TurnBatch


class Recorder:
    """Runs entries by doubling them; an entry < 0 fails on its own; records the calls."""

    def __init__(self) -> None:
        self.calls: list[list[int]] = []
        self.fail_next: BaseException | None = None

    async def run(self, entries: Sequence[int]) -> list[int | BaseException]:
        self.calls.append(list(entries))
        await asyncio.sleep(0)
        if self.fail_next is not None:
            raise self.fail_next
        return [ValueError(f"bad {e}") if e < 0 else 2 * e for e in entries]


async def test_entries_of_one_turn_share_calls_of_at_most_max_size_in_order() -> None:
    recorder = Recorder()
    batch = TurnBatch(recorder.run, max_size=3)
    answers = await asyncio.gather(*(batch.submit(n) for n in range(7)))
    assert answers == [0, 2, 4, 6, 8, 10, 12]
    assert recorder.calls == [[0, 1, 2], [3, 4, 5], [6]]
    # A later turn makes a call of its own.
    assert await batch.submit(9) == 18
    assert recorder.calls[-1] == [9]


async def test_a_full_call_starts_from_the_submit_that_filled_it() -> None:
    """run_many is called before that submit returns, not at the end of the turn: what
    it does before its awaitable (queueing a request for the wire) happens at once."""
    started: list[list[int]] = []

    def run(entries: Sequence[int]) -> Awaitable[list[int | BaseException]]:
        started.append(list(entries))

        async def answers() -> list[int | BaseException]:
            return [2 * e for e in entries]

        return answers()

    batch = TurnBatch(run, max_size=3)
    futures = []
    for n in range(7):
        futures.append(batch.submit(n))
        assert started == [[0, 1, 2], [3, 4, 5]][:(n + 1) // 3]
    assert await asyncio.gather(*futures) == [0, 2, 4, 6, 8, 10, 12]
    assert started == [[0, 1, 2], [3, 4, 5], [6]]


async def test_with_a_weight_a_call_is_also_full_at_max_weight() -> None:
    recorder = Recorder()
    batch = TurnBatch(recorder.run, max_size=10, weight=abs, max_weight=5)
    futures = [batch.submit(n) for n in (1, 2, 3, 9, 1)]
    assert await asyncio.gather(*futures) == [2, 4, 6, 18, 2]
    # Full at 6, then one entry of 9 alone; the last goes at the end of the turn.
    assert recorder.calls == [[1, 2, 3], [9], [1]]


async def test_a_call_that_cannot_start_fails_its_entries_alone() -> None:
    def run(entries: Sequence[int]) -> Awaitable[list[int | BaseException]]:
        if 0 in entries:
            raise ValueError("cannot carry 0")
        return Recorder().run(entries)

    batch = TurnBatch(run, max_size=2)
    results = await asyncio.gather(*(batch.submit(n) for n in range(4)),
                                   return_exceptions=True)
    assert [str(r) for r in results[:2]] == ["cannot carry 0"] * 2
    assert results[2:] == [4, 6]


async def test_concurrent_callers_from_tasks_share_a_call() -> None:
    recorder = Recorder()
    batch = TurnBatch(recorder.run, max_size=64)

    async def caller(n: int) -> int:
        return await batch.submit(n)

    assert await asyncio.gather(*(caller(n) for n in range(5))) == [0, 2, 4, 6, 8]
    assert recorder.calls == [[0, 1, 2, 3, 4]]


async def test_an_entry_that_fails_fails_alone() -> None:
    recorder = Recorder()
    batch = TurnBatch(recorder.run, max_size=64)
    results = await asyncio.gather(batch.submit(1), batch.submit(-1), batch.submit(2),
                                   return_exceptions=True)
    assert results[0] == 2 and results[2] == 4
    assert isinstance(results[1], ValueError) and str(results[1]) == "bad -1"


async def test_a_failed_call_fails_each_of_its_entries() -> None:
    recorder = Recorder()
    recorder.fail_next = ConnectionError("Redis is down")
    batch = TurnBatch(recorder.run, max_size=64)
    results = await asyncio.gather(batch.submit(1), batch.submit(2), return_exceptions=True)
    assert all(isinstance(r, ConnectionError) for r in results)
    recorder.fail_next = None
    assert await batch.submit(3) == 6  # the next turn's entries are unaffected


async def test_a_cancelled_caller_does_not_disturb_the_others() -> None:
    recorder = Recorder()
    batch = TurnBatch(recorder.run, max_size=64)
    first, second = batch.submit(1), batch.submit(2)
    first.cancel()
    assert await second == 4
    assert recorder.calls == [[1, 2]]


async def test_answers_that_do_not_match_the_entries_fail_every_caller() -> None:
    async def short(entries: Sequence[int]) -> list[int | BaseException]:
        return [1]

    batch = TurnBatch(short, max_size=64)
    results = await asyncio.gather(batch.submit(1), batch.submit(2), return_exceptions=True)
    assert all(isinstance(r, RuntimeError) and "1 answers to 2 entries" in str(r)
               for r in results)


def test_a_batch_needs_room_for_one_entry() -> None:
    with pytest.raises(ValueError, match="max_size must be at least 1, not 0"):
        TurnBatch(Recorder().run, max_size=0)
