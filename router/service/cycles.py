"""Assignment cycles: decide in the core, commit through the store, re-decide on conflict.

Item-triggered cycles look for the best agent for one item; agent-triggered cycles look
for the best item for one agent across its queues (SPEC P5); a queue sweep runs the
agent-triggered cycle for the queue's agents that have room. Each commit carries an id
derived from the cause and the commit's position, so a redelivered cause finds its
commits already recorded and re-emits exactly what they emitted the first time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from router.config.model import Queue, Workstream
from router.contract.codec import DecodeError, decode, encode
from router.contract.envelope import Event
from router.contract.ids import derive_id
from router.core.capacity import consume
from router.core.decide import (
    QueueBacklog,
    decide_for_agent,
    decide_for_queue,
)
from router.core.decision import Offer
from router.core.prioritize import priority_key, ruleset_uses_time
from router.core.types import AgentState, WorkItem
from router.observability.cycles import timed
from router.service.claims import Claim
from router.service.outputs import Outputs, offer_outputs, utc
from router.service.tenancy import CANDIDATE_AGENTS, TenantRouting
from router.state.member import encode_member
from router.state.model import OfferCommit, Outcome

CONFLICT_RETRIES = 5
RESORT_PAGE = 1_000
"""Items of a time-dependent queue re-placed per sweep (P4)."""
HEAD_READ = 10
"""Items of each queue an agent cycle reads first; the whole block (up to 2,000 for
records) only when none of those suits the agent. Reading and decoding item snapshots
is most of a cycle's cost, and the first few items usually decide it."""
MAX_OFFERS_PER_AGENT_CYCLE = 50


class Cycles:
    def __init__(self, ctx: TenantRouting) -> None:
        self._ctx = ctx

    @timed("item")
    async def admit(self, event_id: str, item: WorkItem, queue: Queue, workstream: Workstream,
                    bucket: int, order_key: Sequence[float], announced: list[Event[Any]],
                    now: float) -> list[Event[Any]] | None:
        """A new item: decided on the queue's agents before it is written, then written
        and committed in one store call (the decision reads the agents, not the item,
        and the commit re-checks both). Returns the events of both steps; None when the
        write was refused (a finished item), nothing written then; none when the item
        existed and is on offer, assigned or in wrap-up (Outcome.not_waiting)."""
        ctx = self._ctx
        decision = await ctx.item_decisions.decide(ctx.store, ctx.policy, item, queue,
                                                   workstream, now)
        outputs = [encoded(e) for e in announced]
        if not isinstance(decision, Offer):
            upserted = await ctx.store.upsert_item(
                event_id, item, queue=queue.id, bucket=bucket, order_key=order_key, now=now,
                outputs=outputs)
            if not upserted.ok:
                return None
            if upserted.not_waiting:
                return []  # it existed, and an agent has it: nothing announced
            if upserted.code == "created" and not upserted.duplicate:
                return announced  # nobody to offer it to: it waits for an agent trigger
            return announced + await self._offer_item(item.id, event_id, now)
        commit_id = derive_id(event_id, "item-cycle", 0)
        commit, events = self._prepared(decision, 1, commit_id, now)
        upserted, committed = await ctx.store.admit_item(
            event_id, item, queue=queue.id, bucket=bucket, order_key=order_key, now=now,
            outputs=outputs, offer_event_id=commit_id, offer=commit,
            offer_outputs=[encoded(e) for e in events])
        if not upserted.ok:
            return None
        if upserted.not_waiting:
            return []
        if committed is not None and committed.ok:
            return announced + committed_outputs(committed, events)
        # Redelivered, an item that already existed, or a commit that conflicted: the
        # plain cycle (it replays a recorded commit, else decides afresh).
        return announced + await self._offer_item(item.id, event_id, now)

    @timed("item")
    async def offer_item(self, item_id: str, cause_id: str, now: float) -> list[Event[Any]]:
        """Item-triggered: the best agent for `item_id`, if the item is still queued."""
        return await self._offer_item(item_id, cause_id, now)

    async def _offer_item(self, item_id: str, cause_id: str, now: float) -> list[Event[Any]]:
        ctx = self._ctx
        commit_id = derive_id(cause_id, "item-cycle", 0)
        earlier = await self._earlier(commit_id)
        if earlier is not None:
            return earlier
        for _ in range(CONFLICT_RETRIES):
            record = await ctx.store.get_item(item_id)
            if record is None or record.state != "queued" or record.queue is None:
                return []
            queue = ctx.queues.get(record.queue)
            workstream = ctx.workstreams.get(record.item.workstream)
            if workstream is None or queue is None:
                return []
            decision = await ctx.item_decisions.decide(ctx.store, ctx.policy, record.item,
                                                       queue, workstream, now)
            if not isinstance(decision, Offer):
                return []
            outcome, events = await self._commit(decision, record.version, commit_id, now)
            if not outcome.conflict:
                return events
        return []

    @timed("agent")
    async def fill_agent(self, agent_id: str, cause_id: str, now: float) -> list[Event[Any]]:
        """Agent-triggered: offer the agent the best items across its queues while it has
        room (P5), one commit at a time.

        The agent and its queues' heads are read once; after each commit the cycle takes
        the item out of its local view and charges the agent locally, as the store just
        did, and reads afresh only after a conflict. Commits made by an earlier delivery
        of the same cause are re-emitted first (they come first by position)."""
        ctx = self._ctx
        events: list[Event[Any]] = []
        conflicts = 0
        position = 0
        replaying = True
        view: _AgentView | None = None
        while position < MAX_OFFERS_PER_AGENT_CYCLE and conflicts < CONFLICT_RETRIES:
            commit_id = derive_id(cause_id, f"agent-cycle:{agent_id}", position)
            if replaying:
                earlier = await self._earlier(commit_id)
                if earlier is not None:
                    events.extend(earlier)
                    position += 1
                    continue
                replaying = False
            if view is None:
                view = await self._agent_view(agent_id, HEAD_READ)
                if view is None:
                    break
            decision = decide_for_agent(view.agent, view.backlogs(ctx.claims.covering()), now,
                                        ctx.policy)
            if not isinstance(decision, Offer) and view.truncated:
                # Nothing eligible in the heads read: look at the whole blocks (P7).
                view = await self._agent_view(agent_id, None)
                if view is None:
                    break
                decision = decide_for_agent(view.agent, view.backlogs(ctx.claims.covering()),
                                            now, ctx.policy)
            if not isinstance(decision, Offer):
                break
            claim = (decision.item.id, view.versions[decision.item.id])
            ctx.claims.claim(claim)
            try:
                outcome, committed = await self._commit(decision, claim[1], commit_id, now)
            except BaseException:
                ctx.claims.release(claim)
                raise
            if outcome.ok:
                ctx.claims.committed(claim)
            else:
                ctx.claims.release(claim)
            if outcome.conflict:
                conflicts += 1
                view = None
                continue
            events.extend(committed)
            view.taken(decision, ctx.workstreams[decision.item.workstream], now)
            position += 1
        return events

    async def _agent_view(self, agent_id: str, head: int | None) -> _AgentView | None:
        """The agent and the first `head` items (None: the whole block) of each queue."""
        ctx = self._ctx
        agent = await ctx.store.get_agent(agent_id)
        if agent is None:
            return None
        view = _AgentView(agent)
        workstreams = dict(ctx.workstreams)
        queues = [ctx.queues[q] for q in agent.queues if q in ctx.queues]
        limits = [ctx.block_sizes[q.id] if head is None else min(head, ctx.block_sizes[q.id])
                  for q in queues]
        heads = await asyncio.gather(*(ctx.store.top_items(queue.id, limit)
                                       for queue, limit in zip(queues, limits, strict=True)))
        for queue, limit, queued in zip(queues, limits, heads, strict=True):
            block = ctx.block_sizes[queue.id]
            view.truncated |= len(queued) == limit < block
            view.versions.update((q.item.id, q.version) for q in queued)
            view.queues.append((queue, workstreams, [q.item for q in queued], block))
        return view

    @timed("sweep")
    async def sweep_queue(self, queue_id: str, cause_id: str, now: float) -> list[Event[Any]]:
        """Time alone can make an assignment possible (expired requirements, P4 buckets,
        records channels): one cycle over the queue's top block and its agents with room
        (two reads, whatever the number of agents), committing each offer it finds.

        A commit that conflicts is dropped, not retried: whatever changed triggered its
        own cycle, and the next sweep looks again. On redelivery, commits already made
        under a position are re-emitted, the rest decided afresh."""
        ctx = self._ctx
        queue = ctx.queues.get(queue_id)
        if queue is None:
            return []
        if ruleset_uses_time(queue):
            await self.resort_page(queue, now)
        block = ctx.block_sizes[queue_id]
        queued = await ctx.store.top_items(queue_id, block)
        if not queued:
            return []
        agents = await ctx.store.candidate_agents(queue_id, CANDIDATE_AGENTS)
        if not agents:
            return []
        versions = {q.item.id: q.version for q in queued}
        decisions = decide_for_queue(queue, ctx.workstreams, [q.item for q in queued], agents,
                                     now, ctx.policy, block_size=block)
        events: list[Event[Any]] = []
        offers = [d for d in decisions if isinstance(d, Offer)]
        for position, offer in enumerate(offers):
            commit_id = derive_id(cause_id, "queue-cycle", position)
            earlier = await self._earlier(commit_id)
            if earlier is not None:
                events.extend(earlier)
                continue
            _, committed = await self._commit(offer, versions[offer.item.id], commit_id, now)
            events.extend(committed)
        return events

    async def resort_page(self, queue: Queue, now: float) -> int:
        """P4 without any event: re-place the next page of a time-dependent queue at the
        priority its items have at `now`. Successive sweeps walk the whole queue, so an
        item anywhere moves up as its deadline nears; a cycle's block is re-sorted at
        decision time anyway, so the head is always exact. Returns how many moved."""
        ctx = self._ctx
        start = ctx.resort_from.get(queue.id, 0)
        page = await ctx.store.top_items(queue.id, RESORT_PAGE, offset=start)
        ctx.resort_from[queue.id] = 0 if len(page) < RESORT_PAGE else start + len(page)
        moves = []
        for queued in page:
            bucket, order_key = priority_key(queued.item, queue, now)
            if encode_member(bucket, order_key, queued.item.id) != queued.member:
                moves.append((queued.item.id, queued.version, bucket, order_key))
        return await ctx.store.reorder(queue.id, moves)

    async def _earlier(self, commit_id: str) -> list[Event[Any]] | None:
        """What this commit emitted if a previous run of the same cause made it."""
        outcome = await self._ctx.store.recorded(commit_id)
        return None if outcome is None else recorded(outcome)

    def _prepared(self, offer: Offer, version: int, commit_id: str,
                  now: float) -> tuple[OfferCommit, list[Event[Any]]]:
        """What committing `offer` sends the store, and the events it announces."""
        ctx = self._ctx
        workstream = ctx.workstreams[offer.item.workstream]
        out = Outputs(commit_id, ctx.id, utc(now), ctx.config_version)
        offer_outputs(out, offer, commit_id)
        return OfferCommit(
            offer_id=commit_id,
            item_id=offer.item.id,
            agent_id=offer.agent.id,
            queue=offer.queue,
            item_version=version,
            units=offer.units,
            profiles=offer.profiles,
            profile_defaults=dict(ctx.policy.profile_defaults),
            allowed_presences=workstream.allowed_presences,
            deadline=offer.expires_at if offer.mode == "offer" else None,
        ), out.events

    async def _commit(self, offer: Offer, version: int, commit_id: str,
                      now: float) -> tuple[Outcome, list[Event[Any]]]:
        commit, events = self._prepared(offer, version, commit_id, now)
        outcome = await self._ctx.store.commit_offer(
            commit_id, commit, now=now, outputs=[encoded(e) for e in events])
        if outcome.conflict or not outcome.ok:
            return outcome, []
        return outcome, committed_outputs(outcome, events)


def encoded(event: Event[Any]) -> str:
    return encode(event).decode()


def committed_outputs(outcome: Outcome, emitted: Sequence[Event[Any]]) -> list[Event[Any]]:
    """What a successful commit published: the events just built, or, for a replay,
    the ones recorded the first time (decoded only then: not on every commit)."""
    return recorded(outcome) if outcome.duplicate else list(emitted)


def recorded(outcome: Outcome) -> list[Event[Any]]:
    """The outputs stored with a commit: the ones emitted the first time, duplicate or not."""
    events: list[Event[Any]] = []
    for raw in outcome.outputs:
        try:
            events.append(decode(raw.encode()))
        except DecodeError as exc:  # written by this code; unreadable means a bug
            raise RuntimeError(f"recorded output of {outcome.event_id} unreadable: {exc}") from exc
    return events


class _AgentView:
    """What an agent cycle knows between commits: the agent and its queues' heads."""

    def __init__(self, agent: AgentState) -> None:
        self.agent = agent
        self.queues: list[tuple[Queue, dict[str, Workstream], list[WorkItem], int]] = []
        self.versions: dict[str, int] = {}
        self.truncated = False

    def backlogs(self, claimed: Callable[[Claim], bool] | None) -> list[QueueBacklog]:
        """The queues' items, less those another cycle of this process took or is
        taking at the version read here."""
        versions = self.versions
        return [QueueBacklog(queue=queue, workstreams=workstreams,
                             items=tuple(i for i in items if not claimed((i.id, versions[i.id])))
                             if claimed else tuple(items), block_size=block)
                for queue, workstreams, items, block in self.queues]

    def taken(self, offer: Offer, workstream: Workstream, now: float) -> None:
        self.agent = consume(self.agent, workstream.capacity, offer.queue, now)
        for _, _, items, _ in self.queues:
            items[:] = [item for item in items if item.id != offer.item.id]
