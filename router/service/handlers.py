"""What each input event does: map it, call the core, commit through the store, and
return the output events (never publish them: the caller does, after which the input
counts as handled).

Outputs of a commit are recorded with it and replayed verbatim; every other output is
built from the recorded outcome and the input event alone, with ids derived from the
input's id and the input's time, so a redelivered event yields identical outputs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from router.config.model import CapacityCost
from router.contract import inputs as i
from router.contract import outputs as o
from router.contract.envelope import Event
from router.core.classify import ClassificationFailed, classify
from router.core.prioritize import priority_key
from router.core.requirements import active_selectors, attach_requirements
from router.core.types import WorkItem
from router.service import mapping
from router.service.cycles import CONFLICT_RETRIES, Cycles, committed_outputs, encoded
from router.service.cycles import recorded as recorded_outputs
from router.service.outputs import Outputs, utc
from router.service.tenancy import TenantRouting
from router.state.model import ItemRecord, OfferCommit, OfferRecord, Outcome

log = logging.getLogger(__name__)

Handler = Callable[[TenantRouting, Any, float], Awaitable[list[Event[Any]]]]


class RoutingService:
    """The router's behaviour for every input event type, for every configured tenant."""

    def __init__(self, tenants: Mapping[str, TenantRouting],
                 clock: Callable[[], float] = time.time) -> None:
        self._tenants = tenants
        self._clock = clock
        self._handlers: dict[str, Handler] = {
            "work_item.created": self._created,
            "work_item.updated": self._updated,
            "work_item.cancelled": self._cancelled,
            "work_item.completed": self._completed,
            "work_item.closed": self._closed,
            "work_item.requeue_requested": self._requeue,
            "agent.registered": self._agent_registered,
            "agent.presence_changed": self._agent_changed,
            "agent.capacity_changed": self._agent_changed,
            "agent.queues_changed": self._agent_changed,
            "agent.profile_updated": self._agent_changed,
            "agent.offer_accepted": self._accepted,
            "agent.offer_declined": self._declined,
            "agent.item_picked": self._picked,
            "timer.offer_due": self._offer_due,
            "timer.wrap_up_due": self._wrap_up_due,
            "timer.queue_sweep": self._queue_sweep,
            "timer.item_expired": self._item_expired,
        }

    @property
    def tenants(self) -> Mapping[str, TenantRouting]:
        return self._tenants

    async def handle(self, event: Event[Any]) -> list[Event[Any]]:
        ctx = self._tenants[event.tenant]
        return await self._handlers[event.type](ctx, event, self._clock())

    def _out(self, ctx: TenantRouting, event: Event[Any]) -> Outputs:
        return Outputs(event.id, ctx.id, event.time, ctx.config_version)

    def _cycles(self, ctx: TenantRouting) -> Cycles:
        return Cycles(ctx)

    # -- work items ------------------------------------------------------------------

    async def _created(self, ctx: TenantRouting, event: i.WorkItemCreated,
                       now: float) -> list[Event[Any]]:
        workstream = ctx.workstreams.get(event.data.workstream)
        item = mapping.new_work_item(event, workstream)
        events = await self._place(ctx, event, item, now) or []
        if event.data.ttl_seconds is not None:  # X3; again on a redelivery: idempotent
            await ctx.store.schedule_expiry(
                item.id, event.time.timestamp() + event.data.ttl_seconds)
        return events

    async def _updated(self, ctx: TenantRouting, event: i.WorkItemUpdated,
                       now: float) -> list[Event[Any]]:
        for _ in range(CONFLICT_RETRIES):
            placed = await self._update_once(ctx, event, now, keep_offer=False)
            if placed is not None:
                return placed
        # The last attempt keeps any offer, so the update is stored whatever happens to
        # the item meanwhile (an offer made for its old queue then stays).
        log.warning("%s: %s kept changing while an update placed it; stored, its offer "
                    "kept", ctx.id, event.subject)
        return await self._update_once(ctx, event, now, keep_offer=True) or []

    async def _update_once(self, ctx: TenantRouting, event: i.WorkItemUpdated, now: float,
                           *, keep_offer: bool) -> list[Event[Any]] | None:
        record = await ctx.store.get_item(event.subject)
        if record is None:
            log.warning("%s: update for unknown item %s ignored", ctx.id, event.subject)
            return []
        item = mapping.updated_work_item(record.item, event.data)
        return await self._place(ctx, event, item, now, previous=record,
                                 keep_offer=keep_offer)

    async def _place(self, ctx: TenantRouting, event: Event[Any], item: WorkItem,
                     now: float, *, previous: ItemRecord | None = None,
                     keep_offer: bool = False) -> list[Event[Any]] | None:
        """Classify, attach requirements, prioritize and queue (C3 to C6, P1 to P4); an
        update (`previous`: the item as read before it) re-runs all of it (C5). Then
        look for an agent. None: the item changed since `previous` was read."""
        out = self._out(ctx, event)
        workstream = ctx.workstreams.get(item.workstream)
        if workstream is None:
            return await self._unclassified(ctx, event, item, out, now,
                                            f"unknown workstream {item.workstream!r}",
                                            previous, keep_offer)
        result = classify(item, workstream, now, known_queues=ctx.queues.keys())
        if isinstance(result, ClassificationFailed):
            return await self._unclassified(ctx, event, item, out, now, result.reason,
                                            previous, keep_offer)
        item = attach_requirements(item, workstream, now)
        queue = ctx.queues[result.queue]
        bucket, order_key = priority_key(item, queue, now)
        out.add(o.WorkItemClassified, item.id, o.WorkItemClassifiedData(
            workstream=workstream.id, queue=queue.id, rule=result.rule or None,
            selectors=_attached_selectors(item, now), config_version=ctx.config_version))
        bucket_name = (queue.prioritization[bucket].name or f"rule {bucket + 1}"
                       if 0 <= bucket < len(queue.prioritization) else None)
        out.add(o.WorkItemQueued, item.id, o.WorkItemQueuedData(
            queue=queue.id, bucket=bucket_name, config_version=ctx.config_version))
        if previous is None:
            admitted = await self._cycles(ctx).admit(event.id, item, queue, workstream,
                                                     bucket, order_key, out.events, now)
            return [] if admitted is None else admitted
        return await self._upserted(ctx, event, item, out, now, previous, keep_offer,
                                    queue=queue.id, bucket=bucket, order_key=order_key)

    async def _unclassified(self, ctx: TenantRouting, event: Event[Any], item: WorkItem,
                            out: Outputs, now: float, reason: str,
                            previous: ItemRecord | None, keep_offer: bool
                            ) -> list[Event[Any]] | None:
        """Reported, kept (unqueued), never dropped (C3)."""
        out.add(o.WorkItemClassificationFailed, item.id, o.WorkItemClassificationFailedData(
            workstream=item.workstream, reason=reason, config_version=ctx.config_version))
        return await self._upserted(ctx, event, item, out, now, previous, keep_offer,
                                    queue=None, bucket=0, order_key=())

    async def _upserted(self, ctx: TenantRouting, event: Event[Any], item: WorkItem,
                        out: Outputs, now: float, previous: ItemRecord | None,
                        keep_offer: bool, *, queue: str | None, bucket: int,
                        order_key: Sequence[float]) -> list[Event[Any]] | None:
        """The store's upsert, with its outputs recorded in the same call; then an
        agent for the item, and the freed agent's next item. C5 re-places a still
        unassigned item: a waiting one, or one on offer that the update sends away from
        the offer's queue (the offer is revoked first). Nothing is announced for an item
        the store finds finished, or kept with its agent (on offer in the same queue,
        assigned, in wrap-up: the update applies if it is requeued). None: the item
        changed since `previous` was read. `keep_offer`: the update keeps any offer, as
        a creation repeated does (never None then)."""
        moves = previous is not None and not keep_offer
        moving = await _offer_left(ctx, previous, queue) if previous and moves else None
        revoked = self._out(ctx, event)
        if moving is not None:
            revoked.add(o.OfferRevoked, item.id, o.OfferRevokedData(
                offer_id=moving.offer_id, agent_id=moving.agent_id, reason="item_requeued"))
        events = revoked.events + out.events
        outcome = await ctx.store.upsert_item(
            event.id, item, queue=queue, bucket=bucket, order_key=order_key, now=now,
            outputs=[encoded(e) for e in events],
            revoking=(moving.offer_id if moving else "") if moves else None)
        if outcome.conflict:
            return None
        if not outcome.ok or outcome.not_waiting:
            return []
        events = committed_outputs(outcome, events)
        if queue is not None:
            events += await self._cycles(ctx).offer_item(item.id, event.id, now)
        return events + await self._after_release(ctx, outcome, event.id, now)

    async def _cancelled(self, ctx: TenantRouting, event: i.WorkItemCancelled,
                         now: float) -> list[Event[Any]]:
        outcome = await ctx.store.cancel(event.id, event.subject, now=now, outputs=None)
        return await self._withdrawn(ctx, event, outcome, now, revoked="item_cancelled",
                                     reason=event.data.reason)

    async def _withdrawn(self, ctx: TenantRouting, event: Event[Any], outcome: Outcome,
                         now: float, *, revoked: str, reason: str | None) -> list[Event[Any]]:
        """A cancel the store applied: its revoked offer, the item's cancellation, and
        the freed capacity offered on."""
        out = self._out(ctx, event)
        if outcome.ok:
            self._revoked(out, outcome, event.subject, revoked)
            out.add(i.WorkItemCancelled, event.subject, i.WorkItemCancelledData(reason=reason))
        events = await self._emit(ctx, outcome, out.events)
        return events + await self._after_release(ctx, outcome, event.id, now)

    async def _completed(self, ctx: TenantRouting, event: i.WorkItemCompleted,
                         now: float) -> list[Event[Any]]:
        record = await ctx.store.get_item(event.subject)
        workstream = ctx.workstreams.get(record.item.workstream) if record else None
        wrap_up = workstream.wrap_up if workstream else None
        mode = wrap_up.mode if wrap_up else "until_closed"
        release_at = (now + (wrap_up.seconds or 0)
                      if wrap_up and wrap_up.mode == "seconds" else None)
        outcome = await ctx.store.complete(event.id, event.subject, now=now, wrap_up=mode,
                                           release_at=release_at, outputs=None)
        out = self._out(ctx, event)
        if outcome.ok:
            out.add(i.WorkItemCompleted, event.subject, i.WorkItemCompletedData())
        events = await self._emit(ctx, outcome, out.events)
        return events + await self._after_release(ctx, outcome, event.id, now)

    async def _closed(self, ctx: TenantRouting, event: i.WorkItemClosed,
                      now: float) -> list[Event[Any]]:
        outcome = await ctx.store.close(event.id, event.subject, now=now)
        return await self._after_release(ctx, outcome, event.id, now)

    # -- agents ----------------------------------------------------------------------

    async def _agent_registered(self, ctx: TenantRouting, event: i.AgentRegistered,
                                now: float) -> list[Event[Any]]:
        previous = await ctx.store.get_agent(event.subject)
        base = ctx.policy.base_presence(event.data.presence)
        agent = mapping.registered_agent(event, previous, now, base)
        return await self._agent_upsert(ctx, event, agent, base, now)

    async def _agent_changed(self, ctx: TenantRouting, event: Event[Any],
                             now: float) -> list[Event[Any]]:
        agent = await ctx.store.get_agent(event.subject)
        if agent is None:
            log.warning("%s: %s for unregistered agent %s ignored", ctx.id, event.type,
                        event.subject)
            return []
        data = event.data
        if isinstance(data, i.AgentPresenceChangedData):
            agent = mapping.with_presence(agent, data.presence,
                                          ctx.policy.base_presence(data.presence), now)
        elif isinstance(data, i.AgentCapacityChangedData):
            agent = mapping.with_capacity(agent, data)
        elif isinstance(data, i.AgentQueuesChangedData):
            agent = mapping.with_queues(agent, data, now)
        elif isinstance(data, i.AgentProfileUpdatedData):
            agent = mapping.with_profile(agent, data)
        base = ctx.policy.base_presence(agent.presence)
        return await self._agent_upsert(ctx, event, agent, base, now)

    async def _agent_upsert(self, ctx: TenantRouting, event: Event[Any], agent: Any,
                            base: str, now: float) -> list[Event[Any]]:
        """Every agent change may free or revoke work: offers of an agent going offline
        are revoked (O5) and their items offered again; an agent with room gets a cycle."""
        outcome = await ctx.store.upsert_agent(event.id, agent, now=now, base_presence=base,
                                               outputs=None)
        cycles = self._cycles(ctx)
        announced: list[Event[Any]] = []
        events: list[Event[Any]] = []
        for index, offer_id in enumerate(outcome.revoked):
            revoked = Outputs(f"{event.id}/revoked/{index}", ctx.id, event.time,
                              ctx.config_version)
            record = await ctx.store.get_offer(offer_id)
            if record is not None:
                revoked.add(o.OfferRevoked, record.item_id, o.OfferRevokedData(
                    offer_id=offer_id, agent_id=record.agent_id, reason="agent_unavailable"))
                announced += revoked.events
                events += revoked.events
                events += await cycles.offer_item(record.item_id, revoked.cause_id, now)
        # The re-offers above took later slots than this change's, so the revocations
        # filled in now are still published before them.
        await self._emit(ctx, outcome, announced)
        return events + await cycles.fill_agent(agent.id, event.id, now)

    # -- offers ----------------------------------------------------------------------

    async def _accepted(self, ctx: TenantRouting, event: i.AgentOfferAccepted,
                        now: float) -> list[Event[Any]]:
        offer = await self._offer_of_agent(ctx, event)
        if offer is None:
            return []
        outcome = await ctx.store.accept(event.id, offer.offer_id, now=now, outputs=None)
        out = self._out(ctx, event)
        if outcome.ok:
            out.add(o.OfferAccepted, offer.item_id, o.OfferAcceptedOutData(
                offer_id=offer.offer_id, agent_id=offer.agent_id))
            out.add(o.AssignmentCreated, offer.item_id, o.AssignmentCreatedData(
                assignment_id=offer.offer_id, agent_id=offer.agent_id, queue=offer.queue,
                via="offer", offer_id=offer.offer_id, capacity_units=offer.units,
                capacity_profiles=dict.fromkeys(offer.profiles, 1),
                config_version=ctx.config_version))
        return await self._emit(ctx, outcome, out.events)

    async def _declined(self, ctx: TenantRouting, event: i.AgentOfferDeclined,
                        now: float) -> list[Event[Any]]:
        offer = await self._offer_of_agent(ctx, event)
        if offer is None:
            return []
        outcome = await ctx.store.decline(
            event.id, offer.offer_id, now=now, decline_limit=ctx.policy.decline_limit,
            max_distinct_declines=ctx.policy.max_distinct_declines, outputs=None)
        out = self._out(ctx, event)
        if outcome.ok:
            out.add(o.OfferDeclined, offer.item_id, o.OfferDeclinedOutData(
                offer_id=offer.offer_id, agent_id=offer.agent_id, reason=event.data.reason))
            self._decline_outputs(ctx, out, outcome, offer.item_id, offer.agent_id,
                                  offer.offer_id, "declined")
        events = await self._emit(ctx, outcome, out.events)
        return events + await self._after_decline(ctx, outcome, offer.item_id,
                                                      offer.agent_id, event.id, now)

    async def _offer_of_agent(self, ctx: TenantRouting,
                              event: i.AgentOfferAccepted | i.AgentOfferDeclined,
                              ) -> OfferRecord | None:
        """The offer an answer refers to, if it exists and was made to that agent."""
        offer = await ctx.store.get_offer(event.data.offer_id)
        if offer is None or offer.agent_id != event.data.agent_id:
            log.warning("%s: %s of %s by %s does not match an offer to that agent",
                        ctx.id, event.type, event.data.offer_id, event.data.agent_id)
            return None
        return offer

    async def _offer_due(self, ctx: TenantRouting, event: i.TimerOfferDue,
                         now: float) -> list[Event[Any]]:
        outcome = await ctx.store.expire(
            event.id, event.data.offer_id, now=now, decline_limit=ctx.policy.decline_limit,
            max_distinct_declines=ctx.policy.max_distinct_declines, outputs=None)
        out = self._out(ctx, event)
        if outcome.ok:
            out.add(o.OfferExpired, event.subject, o.OfferExpiredData(
                offer_id=event.data.offer_id, agent_id=event.data.agent_id))
            self._decline_outputs(ctx, out, outcome, event.subject, event.data.agent_id,
                                  event.data.offer_id, "expired")
        events = await self._emit(ctx, outcome, out.events)
        return events + await self._after_decline(ctx, outcome, event.subject,
                                                      event.data.agent_id, event.id, now)

    def _decline_outputs(self, ctx: TenantRouting, out: Outputs, outcome: Outcome,
                         item_id: str, agent_id: str, offer_id: str, cause: str) -> None:
        out.add(o.DeclineRecorded, item_id, o.DeclineRecordedData(
            agent_id=agent_id, offer_id=offer_id, cause=cause,  # type: ignore[arg-type]
            agent_declines=outcome.declines or 1,
            distinct_decliners=outcome.distinct_decliners or 1))
        if outcome.agent_excluded:
            out.add(o.AgentExcluded, item_id, o.AgentExcludedData(
                agent_id=agent_id, declines=outcome.declines or 1,
                limit=ctx.policy.decline_limit))
        if outcome.item_excluded:
            out.add(o.ItemExcluded, item_id, o.ItemExcludedData(
                distinct_decliners=outcome.distinct_decliners or 1))

    async def _after_decline(self, ctx: TenantRouting, outcome: Outcome, item_id: str,
                             agent_id: str, cause_id: str, now: float) -> list[Event[Any]]:
        """The item goes to the next agent; the agent's freed capacity to its next item."""
        if not outcome.ok:
            return []
        cycles = self._cycles(ctx)
        return (await cycles.offer_item(item_id, cause_id, now)
                + await cycles.fill_agent(agent_id, cause_id, now))

    async def _wrap_up_due(self, ctx: TenantRouting, event: i.TimerWrapUpDue,
                           now: float) -> list[Event[Any]]:
        outcome = await ctx.store.release_wrap_up(event.id, event.subject, now=now)
        return await self._after_release(ctx, outcome, event.id, now)

    async def _item_expired(self, ctx: TenantRouting, event: i.TimerItemExpired,
                            now: float) -> list[Event[Any]]:
        """X3: an item still waiting or on offer when it outlives its TTL is cancelled
        (its offer revoked); one an agent has by then is spared for good, since
        cancelling work in progress is the agent's or the connector's call."""
        outcome = await ctx.store.expire_item(event.id, event.subject, now=now,
                                             outputs=None)
        return await self._withdrawn(ctx, event, outcome, now, revoked="item_expired",
                                     reason="ttl_expired")

    async def _queue_sweep(self, ctx: TenantRouting, event: i.TimerQueueSweep,
                           now: float) -> list[Event[Any]]:
        return await self._cycles(ctx).sweep_queue(event.data.queue, event.id, now)

    async def _after_release(self, ctx: TenantRouting, outcome: Outcome, cause_id: str,
                             now: float) -> list[Event[Any]]:
        """Released capacity triggers an assignment cycle: the agent's next item, across queues."""
        if not outcome.ok or not outcome.released or outcome.agent_id is None:
            return []  # e.g. a close after completion released at once: nothing new
        return await self._cycles(ctx).fill_agent(outcome.agent_id, cause_id, now)

    async def _emit(self, ctx: TenantRouting, outcome: Outcome,
                    events: list[Event[Any]]) -> list[Event[Any]]:
        """Fill the outbox slot the change reserved, so these outputs are published in
        the change's place among all commits of the tenant (a redelivered event fills
        the same slot with the same events: a no-op)."""
        if outcome.seq is not None:
            await ctx.store.fill_outbox(outcome.seq, [encoded(e) for e in events])
        return events

    def _revoked(self, out: Outputs, outcome: Outcome, item_id: str, reason: str) -> None:
        for offer_id in outcome.revoked:
            out.add(o.OfferRevoked, item_id, o.OfferRevokedData(
                offer_id=offer_id, agent_id=outcome.agent_id or "unknown",
                reason=reason))

    async def _picked(self, ctx: TenantRouting, event: i.AgentItemPicked,
                      now: float) -> list[Event[Any]]:
        """O3: the agent takes a waiting item by hand (excluded ones too), within its
        capacity; assigned at once. A refused pick changes nothing and is logged."""
        agent_id = event.data.agent_id
        earlier = await ctx.store.recorded(event.id)
        if earlier is not None:  # redelivered: what the pick did the first time
            return recorded_outputs(earlier)
        for _ in range(CONFLICT_RETRIES):
            record = await ctx.store.get_item(event.subject)
            if record is None or record.state not in ("queued", "manual") or not record.queue:
                state = record.state if record else "unknown"
                log.warning("%s: pick of %s by %s refused: the item is %s, not waiting",
                            ctx.id, event.subject, agent_id, state)
                return []
            workstream = ctx.workstreams.get(record.item.workstream)
            cost = workstream.capacity if workstream else CapacityCost()
            out = self._out(ctx, event)
            out.add(o.AssignmentCreated, event.subject, o.AssignmentCreatedData(
                assignment_id=event.id, agent_id=agent_id, queue=record.queue,
                via="manual_pick", offer_id=None, capacity_units=cost.units,
                capacity_profiles=dict.fromkeys(cost.profiles, 1),
                config_version=ctx.config_version))
            outcome = await ctx.store.commit_offer(event.id, OfferCommit(
                offer_id=event.id, item_id=event.subject, agent_id=agent_id,
                queue=record.queue, item_version=record.version, units=cost.units,
                profiles=cost.profiles, profile_defaults=dict(ctx.policy.profile_defaults),
                manual=True,
            ), now=now, outputs=[encoded(e) for e in out.events])
            if outcome.ok:
                return committed_outputs(outcome, out.events)
            if outcome.code not in ("conflict:item_version", "conflict:item_state"):
                log.warning("%s: pick of %s by %s refused: %s", ctx.id, event.subject,
                            agent_id, outcome.code)
                return []
        return []

    async def _requeue(self, ctx: TenantRouting, event: i.WorkItemRequeueRequested,
                       now: float) -> list[Event[Any]]:
        """O6: an assigned item goes back to its queue (or another, a transfer), at most
        the tenant's `requeue_limit` times; the agent's capacity is freed."""
        record = await ctx.store.get_item(event.subject)
        target = event.data.queue or (record.queue if record else None)
        queue = ctx.queues.get(target) if target else None
        if record is None or queue is None:
            log.warning("%s: requeue of %s ignored: %s", ctx.id, event.subject,
                        "unknown item" if record is None else f"unknown queue {target!r}")
            return []
        bucket, order_key = priority_key(record.item, queue, now)
        outcome = await ctx.store.requeue(
            event.id, event.subject, queue=queue.id, bucket=bucket, order_key=order_key,
            limit=ctx.policy.requeue_limit, now=now, outputs=None)
        out = self._out(ctx, event)
        if outcome.ok:
            out.add(o.WorkItemRequeued, event.subject, o.WorkItemRequeuedData(
                queue=queue.id, previous_agent_id=outcome.agent_id,
                reason=event.data.reason, requeue_count=outcome.requeues or 1))
        else:
            log.warning("%s: requeue of %s refused: %s", ctx.id, event.subject, outcome.code)
        events = await self._emit(ctx, outcome, out.events)
        if not outcome.ok:
            return events
        cycles = self._cycles(ctx)
        return (events + await cycles.offer_item(event.subject, event.id, now)
                + await self._after_release(ctx, outcome, event.id, now))


async def _offer_left(ctx: TenantRouting, previous: ItemRecord,
                      queue: str | None) -> OfferRecord | None:
    """The pending offer an update revokes: the item's, when it was made for another
    queue than the one the update sends the item to."""
    if previous.state != "offered" or not previous.offer_id:
        return None
    offer = await ctx.store.get_offer(previous.offer_id)
    if offer is None or offer.state != "pending" or offer.queue == (queue or ""):
        return None
    return offer


def _attached_selectors(item: WorkItem, now: float) -> list[o.Selector]:
    """The worker selectors classification attached and still applying (C6), so a
    subscriber sees which agents the item now waits for, and until when."""
    return [o.Selector(key=s.key, operator=s.op, value=s.value,
                       expires_at=None if s.expires_after_seconds is None
                       else utc(s.attached_at + s.expires_after_seconds))
            for s in active_selectors(item, now) if s.rule]
