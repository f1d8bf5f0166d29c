"""Item-triggered decisions of one tenant that fall due together, made together.

A worker handles a batch of inputs concurrently, so many items of one queue look for an
agent at the same moment. Deciding each on its own read would hand them all the same
best agent; all but the first few commits would then conflict and retry, and an item
that ran out of retries would wait for the next sweep while other agents idle. Here the
items of one queue that became due in the same turn of the event loop share one read of
the queue's candidate agents and are decided one after another, in the order they
arrived, each on the view the previous ones left (the chosen agent charged locally, as
the store will on commit): what sequential cycles would have decided, for one read
instead of one per item. Commits stay per item and are still re-checked by the store.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from router.config.model import Queue, Workstream
from router.core.agent_memo import AgentMemo
from router.core.decide import ChargedView
from router.core.decision import Decision
from router.core.policy import Policy
from router.core.types import WorkItem
from router.state.store import Store


@dataclass(frozen=True)
class _Due:
    item: WorkItem
    queue: Queue
    workstream: Workstream
    now: float
    future: asyncio.Future[Decision]


class ItemDecisions:
    """Per tenant and process: collects item decisions per queue for one loop turn."""

    def __init__(self, candidates: int) -> None:
        self._candidates = candidates
        self._due: dict[str, list[_Due]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._deciding: set[asyncio.Task[None]] = set()
        self._memo = AgentMemo()
        """Agents' reasons and keys, kept across flushes: the store hands back the same
        snapshots for agents that did not change, so most are not evaluated again."""

    async def decide(self, store: Store, policy: Policy, item: WorkItem, queue: Queue,
                     workstream: Workstream, now: float) -> Decision:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # decisions queued on a loop that stopped never flush
            self._loop, self._due = loop, {}
        future: asyncio.Future[Decision] = loop.create_future()
        if not self._due:
            loop.call_soon(self._flush, store, policy)
        self._due.setdefault(queue.id, []).append(_Due(item, queue, workstream, now, future))
        return await future

    def _flush(self, store: Store, policy: Policy) -> None:
        due, self._due = self._due, {}
        loop = asyncio.get_running_loop()
        for queue_id, entries in due.items():
            task = loop.create_task(self._decide_queue(store, policy, queue_id, entries))
            self._deciding.add(task)  # the loop keeps only weak references to tasks
            task.add_done_callback(self._deciding.discard)

    async def _decide_queue(self, store: Store, policy: Policy, queue_id: str,
                            entries: list[_Due]) -> None:
        try:
            agents = await store.candidate_agents(queue_id, self._candidates)
        except BaseException as exc:  # every waiter sees the failure (and retries)
            for entry in entries:
                if not entry.future.done():
                    entry.future.set_exception(exc)
            if isinstance(exc, asyncio.CancelledError):
                raise
            return
        view = ChargedView(agents, self._memo)
        for entry in entries:
            if entry.future.done():  # its cycle was cancelled
                continue
            try:
                decision = view.decide(entry.item, entry.queue, entry.workstream, entry.now,
                                       policy)
            except Exception as exc:  # a bug deciding one item must not sink the others
                entry.future.set_exception(exc)
                continue
            entry.future.set_result(decision)
