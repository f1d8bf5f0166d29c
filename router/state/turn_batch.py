"""Calls made in the same turn of the event loop, carried out together by one call.

Why: a worker handles a batch of input events concurrently, so a few hundred calls of
one kind arrive in the same turn. Two places take them together:
- script calls go out as one pipelined write (scripts.py, AutoPipeline): one write and
  one read for all of them instead of one each;
- new items are admitted by one script call (redis_store.py, admit_items.lua). Much of a
  call's cost in Redis is the same for every call (running the script's prelude,
  recording outcomes, updating each agent's indexes): in sustained benchmark runs, new
  items cost Redis about a fifth less CPU each (and the worker about a tenth less) than
  with one admit_item.lua call per item.

Each caller still gets its own answer, or its own error: a failure of one entry is not
a failure of the others. A failure of the whole call (Redis unreachable) fails every
entry of it, and each caller retries on its own, as it would have after its own call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

Entry = TypeVar("Entry")
Answer = TypeVar("Answer")

RunMany = Callable[[Sequence[Entry]], Awaitable[Sequence[Answer | BaseException]]]
"""Carries out entries in order; one answer per entry, an exception for an entry that
failed on its own. Called when the call is due, from the submit that filled it or at the
end of the turn: whatever it does before returning its awaitable (queueing its request
for the wire, say) happens then, not a loop turn later."""


class TurnBatch(Generic[Entry, Answer]):
    """Collects the entries submitted in one loop turn and runs them together, in calls
    of at most `max_size` entries (and, with `weight`, of at most `max_weight` in all,
    or one entry that weighs more), in the order they were submitted. A call that is
    full starts at once; the rest of a turn's entries go at its end."""

    def __init__(self, run_many: RunMany[Entry, Answer], max_size: int,
                 weight: Callable[[Entry], int] | None = None, max_weight: int = 0) -> None:
        if max_size < 1:
            raise ValueError(f"max_size must be at least 1, not {max_size}")
        self._run_many = run_many
        self._max = max_size
        self._weight = weight
        self._max_weight = max_weight
        self._pending: list[tuple[Entry, asyncio.Future[Answer]]] = []
        self._pending_weight = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._running: set[asyncio.Task[None]] = set()

    def submit(self, entry: Entry) -> asyncio.Future[Answer]:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # entries queued on a loop that stopped never run
            self._loop, self._pending, self._pending_weight = loop, [], 0
        future: asyncio.Future[Answer] = loop.create_future()
        self._pending.append((entry, future))
        if self._weight is not None:
            self._pending_weight += self._weight(entry)
        if len(self._pending) >= self._max or (
                self._weight is not None and self._pending_weight >= self._max_weight):
            self._flush()
        elif len(self._pending) == 1:
            loop.call_soon(self._flush_on, loop)
        return future

    def _flush_on(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._loop is loop:  # else the entries queued then were dropped with the loop
            self._flush()

    def _flush(self) -> None:
        pending, self._pending, self._pending_weight = self._pending, [], 0
        if not pending:  # started already, by the submit that filled it
            return
        try:  # never more than a call's worth: a full call starts from its last submit
            running = self._run_many([entry for entry, _ in pending])
        except Exception as exc:
            _fail(pending, exc)
            return
        task = asyncio.get_running_loop().create_task(self._answer(pending, running))
        self._running.add(task)  # held until done: the loop keeps only weak references
        task.add_done_callback(self._running.discard)

    async def _answer(self, batch: list[tuple[Entry, asyncio.Future[Answer]]],
                      running: Awaitable[Sequence[Answer | BaseException]]) -> None:
        try:
            answers = await running
            if len(answers) != len(batch):
                raise RuntimeError(f"{len(answers)} answers to {len(batch)} entries")
        except BaseException as exc:  # every waiter gets the failure, cancellation too
            _fail(batch, exc)
            if isinstance(exc, asyncio.CancelledError):
                raise
            return
        for (_, future), answer in zip(batch, answers, strict=True):
            if future.done():  # its caller was cancelled
                continue
            if isinstance(answer, BaseException):
                future.set_exception(answer)
            else:
                future.set_result(answer)


def _fail(batch: Sequence[tuple[object, asyncio.Future[Any]]], error: BaseException) -> None:
    for _, future in batch:
        if not future.done():
            future.set_exception(error)
