"""The routing service over the in-memory store: the lifecycle of SPEC C1 and O1 to O5,
and redelivery (invariant 4, docs/design.md). The same service runs in the worker on Redis."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import msgspec

from router.config.load import load_config
from router.contract import inputs as i
from router.contract.codec import encode
from router.contract.envelope import SCHEMA_VERSION, Event
from router.service.cycles import CONFLICT_RETRIES
from router.service.handlers import RoutingService
from router.service.tenancy import tenants_of
from router.state.memory_store import MemoryBackend
from router.state.model import OfferCommit
from router.streams.sweeper import Sweeper

T0 = 1_750_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def _service(clock: Clock) -> RoutingService:
    config = load_config(None)
    backend = MemoryBackend()
    stores = {t.id: backend.tenant(t.id) for t in config.tenants}
    return RoutingService(tenants_of(config, stores, "1-test"), clock=clock)


def _event(cls: type[Event[Any]], event_id: str, subject: str, data: Any,
           at: float = T0) -> Event[Any]:
    return cls(id=event_id, tenant="acme", time=datetime.fromtimestamp(at, UTC),
               source="test", subject=subject, schema_version=SCHEMA_VERSION, data=data)


def _agent(agent_id: str, queues: list[str], units: int = 30,
           presence: str = "available") -> Event[Any]:
    return _event(i.AgentRegistered, f"reg-{agent_id}", agent_id, i.AgentRegisteredData(
        capacity=i.Capacity(units=units, profiles={"chat": 3}),
        skills={"fr": 4, "billing": 3}, queues=queues, presence=presence))


def _item(item_id: str, **attributes: Any) -> Event[Any]:
    return _event(i.WorkItemCreated, f"new-{item_id}", item_id,
                  i.WorkItemCreatedData(workstream="chat", attributes=attributes))


def _types(events: list[Event[Any]]) -> list[str]:
    return [e.type for e in events]


def _offer(events: list[Event[Any]]) -> Event[Any]:
    [offer] = [e for e in events if e.type == "offer.issued"]
    return offer


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_an_item_is_classified_queued_offered_accepted_completed_and_closed() -> None:
    async def scenario() -> None:
        service = _service(Clock())
        assert await service.handle(_agent("ana", ["general"])) == []
        events = await service.handle(_item("c1"))
        assert _types(events) == ["work_item.classified", "work_item.queued", "offer.issued"]
        offer = _offer(events)
        assert offer.data.agent_id == "ana" and offer.data.queue == "general"
        assert offer.data.explanation.winner.agent_id == "ana"
        accepted = await service.handle(_event(
            i.AgentOfferAccepted, "acc-1", "c1",
            i.OfferAcceptedData(offer_id=offer.data.offer_id, agent_id="ana")))
        assert _types(accepted) == ["offer.accepted", "assignment.created"]
        assert accepted[1].data.assignment_id == offer.data.offer_id
        done = await service.handle(_event(i.WorkItemCompleted, "done-1", "c1",
                                           i.WorkItemCompletedData()))
        assert _types(done) == ["work_item.completed"]
        assert await service.handle(_event(i.WorkItemClosed, "close-1", "c1",
                                           i.WorkItemClosedData())) == []

    run(scenario())


def test_an_item_waits_until_an_agent_arrives_then_the_agent_cycle_offers_it() -> None:
    async def scenario() -> None:
        service = _service(Clock())
        assert _types(await service.handle(_item("c1"))) == [
            "work_item.classified", "work_item.queued"]
        events = await service.handle(_agent("ana", ["general"]))
        assert _offer(events).subject == "c1"

    run(scenario())


def test_a_decline_offers_the_item_to_the_next_agent_and_the_limit_excludes() -> None:
    async def scenario() -> None:
        service = _service(Clock())
        await service.handle(_agent("ana", ["general"]))
        await service.handle(_agent("bo", ["general"]))
        offer = _offer(await service.handle(_item("c1")))
        first = offer.data.agent_id
        declined = await service.handle(_event(
            i.AgentOfferDeclined, "dec-1", "c1",
            i.OfferDeclinedData(offer_id=offer.data.offer_id, agent_id=first)))
        assert _types(declined)[:2] == ["offer.declined", "decline.recorded"]
        again = _offer(declined)
        assert again.data.agent_id != first

    run(scenario())


def test_an_update_while_on_offer_in_its_queue_or_assigned_announces_nothing() -> None:
    """C5 re-places waiting items. One an agent holds keeps its offer (when the update
    leaves it in the offer's queue) or assignment, and a `work_item.queued` would tell
    subscribers it waits: nothing is announced. The update is not lost: it is stored,
    and applies when the item is requeued."""
    async def scenario() -> None:
        service = _service(Clock())
        await service.handle(_agent("ana", ["general", "vip"]))
        offer = _offer(await service.handle(_item("c1")))
        assert offer.data.queue == "general"
        recreated = _event(i.WorkItemCreated, "new-c1-again", "c1",
                           i.WorkItemCreatedData(workstream="chat", attributes={"vip": True}))
        assert await service.handle(recreated) == []  # a creation repeated moves nothing
        plain = i.WorkItemUpdatedData(attributes={"vip": None})  # back to general's rule
        assert await service.handle(_event(i.WorkItemUpdated, "upd-0", "c1", plain)) == []
        urgent = i.WorkItemUpdatedData(priority=7)
        assert await service.handle(_event(i.WorkItemUpdated, "upd-1", "c1", urgent)) == []
        store = service.tenants["acme"].store
        record = await store.get_item("c1")
        assert record is not None and record.state == "offered"
        assert record.item.priority == 7
        await service.handle(_event(
            i.AgentOfferAccepted, "acc-1", "c1",
            i.OfferAcceptedData(offer_id=offer.data.offer_id, agent_id="ana")))
        vip = i.WorkItemUpdatedData(attributes={"vip": True})
        assert await service.handle(_event(i.WorkItemUpdated, "upd-2", "c1", vip)) == []
        record = await store.get_item("c1")
        assert record is not None and record.state == "assigned"

    run(scenario())


def test_an_update_moving_an_item_on_offer_revokes_it_and_offers_it_from_the_new_queue(
) -> None:
    """C5: an item on offer is still unassigned. An update that sends it to another queue
    revokes the offer, made for the old one (`item_requeued`), announces the new queue,
    offers the item there, and gives the freed agent its next item. A redelivery of the
    update yields the same events."""
    async def scenario() -> None:
        service = _service(Clock())
        await _two_queues(service)
        offer = _offer(await service.handle(_item("c1")))
        assert offer.data.agent_id == "ana"
        assert _types(await service.handle(_item("c2"))) == [
            "work_item.classified", "work_item.queued"]  # ana is full: c2 waits
        update = _event(i.WorkItemUpdated, "upd-1", "c1",
                        i.WorkItemUpdatedData(attributes={"vip": True}))
        events = await service.handle(update)
        assert _types(events) == ["offer.revoked", "work_item.classified",
                                  "work_item.queued", "offer.issued", "offer.issued"]
        revoked, _, queued, moved, next_item = events
        assert (revoked.subject, revoked.data.offer_id, revoked.data.agent_id,
                revoked.data.reason) == ("c1", offer.data.offer_id, "ana", "item_requeued")
        assert queued.data.queue == "vip"
        assert (moved.subject, moved.data.agent_id, moved.data.queue) == ("c1", "bo", "vip")
        assert (next_item.subject, next_item.data.agent_id) == ("c2", "ana")
        assert [encode(e) for e in await service.handle(update)] == [encode(e) for e in events]
        late = await service.handle(_event(
            i.AgentOfferAccepted, "acc-old", "c1",
            i.OfferAcceptedData(offer_id=offer.data.offer_id, agent_id="ana")))
        assert "assignment.created" not in _types(late)
        store = service.tenants["acme"].store
        record = await store.get_item("c1")
        assert record is not None and (record.state, record.agent_id) == ("offered", "bo")

    run(scenario())


def _service_on(wrap: Any) -> tuple[RoutingService, Any]:
    """A service whose acme store is wrapped by `wrap`, with ana in general and bo in vip."""
    config = load_config(None)
    backend = MemoryBackend()
    wrapped = wrap(backend.tenant("acme"))
    stores = {t.id: wrapped if t.id == "acme" else backend.tenant(t.id)
              for t in config.tenants}
    return RoutingService(tenants_of(config, stores, "1-test"), clock=Clock()), wrapped


async def _two_queues(service: RoutingService) -> None:
    await service.handle(_agent("ana", ["general"]))
    await service.handle(_agent("bo", ["vip"]))


class _OfferRevokedMeanwhile:
    """A store on which the item's offer is revoked (another worker's doing) between
    the update's reads and its write, once."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.raced = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def upsert_item(self, event_id: str, item: Any, **kw: Any) -> Any:
        if kw.get("revoking") and not self.raced:
            self.raced = True
            assert (await self._inner.revoke("meanwhile", kw["revoking"], now=T0)).ok
        return await self._inner.upsert_item(event_id, item, **kw)


def test_an_update_racing_a_change_of_its_item_reads_it_again() -> None:
    """The update built an `offer.revoked` for an offer that is gone by its write: the
    store refuses it, and the update, read again, announces no revocation of its own."""
    async def scenario() -> None:
        service, racing = _service_on(_OfferRevokedMeanwhile)
        await _two_queues(service)
        assert _offer(await service.handle(_item("c1"))).data.agent_id == "ana"
        events = await service.handle(_event(
            i.WorkItemUpdated, "upd-1", "c1", i.WorkItemUpdatedData(attributes={"vip": True})))
        assert racing.raced
        assert _types(events) == ["work_item.classified", "work_item.queued", "offer.issued"]
        assert (events[1].data.queue, _offer(events).data.agent_id) == ("vip", "bo")

    run(scenario())


class _OfferChurn(_OfferRevokedMeanwhile):
    """A store on which, before every write of an update that moves its item, the
    item's offer is revoked and the item offered again from its old queue."""

    async def upsert_item(self, event_id: str, item: Any, **kw: Any) -> Any:
        if kw.get("revoking"):
            inner = self._inner
            assert (await inner.revoke(f"churn-r-{kw['revoking']}", kw["revoking"],
                                       now=T0)).ok
            record = await inner.get_item(item.id)
            again = OfferCommit(offer_id=f"{kw['revoking']}+", item_id=item.id,
                                agent_id="ana", queue="general",
                                item_version=record.version, units=30, profiles=("chat",),
                                profile_defaults={"chat": 3}, deadline=T0 + 60)
            assert (await inner.commit_offer(f"churn-c-{kw['revoking']}", again,
                                             now=T0)).ok
        return await self._inner.upsert_item(event_id, item, **kw)


def test_an_update_whose_item_keeps_changing_is_stored_and_its_offer_kept() -> None:
    """However often the item's offer changes under it, the update is not lost: the
    last attempt stores it and leaves the item with the offer it has then."""
    async def scenario() -> None:
        service, churn = _service_on(_OfferChurn)
        await _two_queues(service)
        await service.handle(_item("c1"))
        vip = i.WorkItemUpdatedData(attributes={"vip": True})
        assert await service.handle(_event(i.WorkItemUpdated, "upd-1", "c1", vip)) == []
        record = await churn.get_item("c1")
        assert record is not None and record.state == "offered"
        assert record.item.attributes == {"vip": True} and record.agent_id == "ana"
        offer = await churn.get_offer(record.offer_id)
        assert offer is not None and (offer.state, offer.queue) == ("pending", "general")
        assert record.offer_id.count("+") == CONFLICT_RETRIES

    run(scenario())


def test_an_update_leaving_an_item_on_offer_without_a_queue_revokes_the_offer() -> None:
    """C3 and C5: no route and no fallback for the updated item: it is reported and kept
    unqueued, and its offer from the old queue revoked."""
    async def scenario() -> None:
        config = load_config(None)
        tenant = config.tenants[0]
        chat = next(ws for ws in tenant.workstreams if ws.id == "chat")
        strict = msgspec.structs.replace(chat, fallback_queue=None)
        workstreams = [strict if ws is chat else ws for ws in tenant.workstreams]
        config = msgspec.structs.replace(config, tenants=[
            msgspec.structs.replace(tenant, workstreams=workstreams), *config.tenants[1:]])
        backend = MemoryBackend()
        service = RoutingService(tenants_of(
            config, {t.id: backend.tenant(t.id) for t in config.tenants}, "1-test"),
            clock=Clock())
        await service.handle(_agent("ana", ["vip"]))
        offer = _offer(await service.handle(_item("c1", vip=True)))
        events = await service.handle(_event(
            i.WorkItemUpdated, "upd-1", "c1", i.WorkItemUpdatedData(attributes={"vip": None})))
        assert _types(events) == ["offer.revoked", "work_item.classification_failed"]
        assert events[0].data.offer_id == offer.data.offer_id
        record = await service.tenants["acme"].store.get_item("c1")
        assert record is not None and record.state == "unqueued"
        agent = await service.tenants["acme"].store.get_agent("ana")
        assert agent is not None and agent.used_units == 0

    run(scenario())


def test_classification_announces_the_selectors_it_attached_and_their_expiry() -> None:
    async def scenario() -> None:
        service = _service(Clock())
        events = await service.handle(_event(
            i.WorkItemCreated, "new-case", "case-1",
            i.WorkItemCreatedData(workstream="cases")))
        [classified] = [e for e in events if e.type == "work_item.classified"]
        [selector] = classified.data.selectors
        assert (selector.key, selector.operator, selector.value) == ("certified", "eq", True)
        # the sample attaches it for ten minutes from classification
        assert selector.expires_at == datetime.fromtimestamp(T0 + 600, UTC)
        chat = await service.handle(_item("c1"))
        assert chat[0].type == "work_item.classified" and chat[0].data.selectors == []

    run(scenario())


def test_items_that_outlive_their_ttl_are_cancelled_unless_an_agent_has_them() -> None:
    """X3, through the sweeper as in the worker: waiting -> cancelled; on offer -> the
    offer revoked and the agent's freed room offered the next item; assigned -> kept."""
    async def scenario() -> None:
        clock = Clock()
        service = _service(clock)
        timers: list[Event[Any]] = []

        async def send(event: Event[Any]) -> None:
            timers.append(event)

        sweeper = Sweeper(service.tenants, send, queue_sweep_s=0)

        async def sweep_at(at: float) -> list[Event[Any]]:
            clock.now = at
            timers.clear()
            await sweeper.tick(at)
            return [e for timer in list(timers) for e in await service.handle(timer)]

        def with_ttl(item_id: str, ttl: int) -> Event[Any]:
            return _event(i.WorkItemCreated, f"new-{item_id}", item_id,
                          i.WorkItemCreatedData(workstream="chat", ttl_seconds=ttl))

        await service.handle(with_ttl("waits", 30))
        await service.handle(with_ttl("kept", 60))
        assert await sweep_at(T0 + 29) == []
        expired = await sweep_at(T0 + 31)
        assert [(e.type, e.subject, e.data.reason) for e in expired] == [
            ("work_item.cancelled", "waits", "ttl_expired")]
        assert await sweep_at(T0 + 32) == [] and timers == []  # handled: not swept again

        # ana (room for one chat) is offered `kept`, which expires while on offer
        await service.handle(_event(i.AgentRegistered, "reg-ana", "ana", i.AgentRegisteredData(
            capacity=i.Capacity(units=30, profiles={"chat": 1}), queues=["general"],
            presence="available")))
        await service.handle(_item("next"))  # waits behind `kept`: ana is full
        events = await sweep_at(T0 + 61)  # before the offer's own deadline
        assert _types(events)[:2] == ["offer.revoked", "work_item.cancelled"]
        assert events[0].data.reason == "item_expired"
        assert _offer(events).subject == "next"  # the freed room goes to the next item

        # bo takes `held` at once and accepts: past its TTL it stays his
        await service.handle(_event(i.AgentRegistered, "reg-bo", "bo", i.AgentRegisteredData(
            capacity=i.Capacity(units=30, profiles={"chat": 1}), queues=["general"],
            presence="available")))
        offer = _offer(await service.handle(with_ttl("held", 1)))
        await service.handle(_event(
            i.AgentOfferAccepted, "acc-held", "held",
            i.OfferAcceptedData(offer_id=offer.data.offer_id, agent_id="bo")))
        assert await sweep_at(T0 + 70) == []
        assert [t.type for t in timers] == ["timer.item_expired"]
        store = service.tenants["acme"].store
        record = await store.get_item("held")
        assert record is not None and record.state == "assigned"
        assert await store.due_expiries(T0 + 10_000, 10) == []  # spared for good

    run(scenario())


def test_an_unanswered_offer_expires_by_its_timer_and_moves_on() -> None:
    async def scenario() -> None:
        clock = Clock()
        service = _service(clock)
        await service.handle(_agent("ana", ["general"]))
        await service.handle(_agent("bo", ["general"]))
        offer = _offer(await service.handle(_item("c1")))
        clock.now = offer.data.deadline.timestamp() + 1
        due = _event(i.TimerOfferDue, "due-1", "c1", i.OfferDueData(
            offer_id=offer.data.offer_id, agent_id=offer.data.agent_id), at=clock.now)
        events = await service.handle(due)
        assert _types(events)[:2] == ["offer.expired", "decline.recorded"]
        assert events[1].data.cause == "expired"
        assert _offer(events).data.agent_id != offer.data.agent_id

    run(scenario())


def test_cancelling_revokes_the_offer_and_frees_the_agent_for_the_next_item() -> None:
    async def scenario() -> None:
        service = _service(Clock())
        await service.handle(_agent("ana", ["general"], units=30))  # one chat item
        offer = _offer(await service.handle(_item("c1")))
        assert "offer.issued" not in _types(await service.handle(_item("c2")))
        events = await service.handle(_event(i.WorkItemCancelled, "cx-1", "c1",
                                             i.WorkItemCancelledData(reason="customer left")))
        assert _types(events)[:2] == ["offer.revoked", "work_item.cancelled"]
        assert events[0].data.offer_id == offer.data.offer_id
        assert _offer(events).subject == "c2"

    run(scenario())


def test_an_agent_going_offline_gets_its_offers_revoked_and_the_item_moves() -> None:
    async def scenario() -> None:
        service = _service(Clock())
        await service.handle(_agent("ana", ["general"]))
        offer = _offer(await service.handle(_item("c1")))
        await service.handle(_agent("bo", ["general"], presence="offline"))
        await service.handle(_event(i.AgentPresenceChanged, "p-bo", "bo",
                                    i.AgentPresenceChangedData(presence="available")))
        events = await service.handle(_event(i.AgentPresenceChanged, "p-ana", "ana",
                                             i.AgentPresenceChangedData(presence="offline")))
        assert "offer.revoked" in _types(events)
        moved = _offer(events)
        assert moved.subject == "c1" and moved.data.agent_id == "bo"
        assert moved.data.offer_id != offer.data.offer_id

    run(scenario())


def test_a_redelivered_event_re_emits_identical_outputs_and_changes_nothing() -> None:
    async def scenario() -> None:
        clock = Clock()
        service = _service(clock)
        await service.handle(_agent("ana", ["general"]))
        created = _item("c1")
        first = await service.handle(created)
        clock.now += 30  # later, and the state has moved on
        await service.handle(_item("c2"))
        again = await service.handle(created)
        assert [encode(e) for e in again] == [encode(e) for e in first]

    run(scenario())


def test_a_redelivered_creation_leaves_no_early_decision_behind() -> None:
    # A new item is decided while it is written; on a redelivery the write finds the
    # item already there, and the decision made for it must be dropped, not left
    # pending (it would hold a charge on the agents) or failing unseen.
    async def scenario() -> list[dict[str, Any]]:
        errors: list[dict[str, Any]] = []
        asyncio.get_running_loop().set_exception_handler(lambda _, ctx: errors.append(ctx))
        service = _service(Clock())
        await service.handle(_agent("ana", ["general"]))
        created = _item("c1")
        await service.handle(created)
        assert await service.handle(created) != []
        await asyncio.sleep(0.01)
        assert asyncio.all_tasks() == {asyncio.current_task()}
        return errors

    assert run(scenario()) == []


def test_an_unknown_workstream_is_reported_not_dropped() -> None:
    async def scenario() -> None:
        service = _service(Clock())
        events = await service.handle(_event(
            i.WorkItemCreated, "n-x", "x", i.WorkItemCreatedData(workstream="fax")))
        assert _types(events) == ["work_item.classification_failed"]
        assert "fax" in events[0].data.reason

    run(scenario())


def test_a_manual_pick_assigns_a_waiting_item_to_an_agent_outside_its_queue() -> None:
    async def scenario() -> None:
        service = _service(Clock())
        await service.handle(_item("c1"))  # no agent yet: it waits in `general`
        await service.handle(_agent("vip-only", ["vip"]))
        picked = await service.handle(_event(i.AgentItemPicked, "pick-1", "c1",
                                             i.ItemPickedData(agent_id="vip-only")))
        assert _types(picked) == ["assignment.created"]
        assert picked[0].data.via == "manual_pick" and picked[0].data.agent_id == "vip-only"
        again = await service.handle(_event(i.AgentItemPicked, "pick-1", "c1",
                                            i.ItemPickedData(agent_id="vip-only")))
        assert again == picked  # redelivered: the same assignment, same ids
        other = await service.handle(_event(i.AgentItemPicked, "pick-2", "c1",
                                            i.ItemPickedData(agent_id="vip-only")))
        assert other == []  # assigned now: a second pick is refused

    run(scenario())


def test_a_pick_beyond_the_agents_capacity_is_refused() -> None:
    async def scenario() -> None:
        service = _service(Clock())
        await service.handle(_item("c1"))
        await service.handle(_agent("tiny", ["vip"], units=0))
        await service.handle(_event(i.AgentCapacityChanged, "cap-1", "tiny",
                                    i.AgentCapacityChangedData(units=1, profiles={"chat": 0})))
        refused = await service.handle(_event(i.AgentItemPicked, "pick-1", "c1",
                                              i.ItemPickedData(agent_id="tiny")))
        assert refused == []

    run(scenario())


def test_a_requeued_item_frees_its_agent_goes_back_and_stops_at_the_limit() -> None:
    async def scenario() -> None:
        service = _service(Clock())
        await service.handle(_agent("ana", ["general"]))
        offer = _offer(await service.handle(_item("c1")))
        await service.handle(_event(i.AgentOfferAccepted, "acc-1", "c1", i.OfferAcceptedData(
            offer_id=offer.data.offer_id, agent_id="ana")))
        for n in range(1, 4):  # the sample's tenant allows 3 requeues per item
            back = await service.handle(_event(
                i.WorkItemRequeueRequested, f"rq-{n}", "c1",
                i.WorkItemRequeueRequestedData(reason="transfer", agent_id="ana")))
            assert _types(back)[:1] == ["work_item.requeued"]
            assert back[0].data.requeue_count == n and back[0].data.previous_agent_id == "ana"
            reoffer = _offer(back)  # the only agent, free again, gets it back
            await service.handle(_event(i.AgentOfferAccepted, f"acc-{n + 1}", "c1",
                                        i.OfferAcceptedData(offer_id=reoffer.data.offer_id,
                                                            agent_id="ana")))
        refused = await service.handle(_event(i.WorkItemRequeueRequested, "rq-4", "c1",
                                              i.WorkItemRequeueRequestedData()))
        assert refused == []

    run(scenario())


def test_fractional_proficiencies_are_kept_and_compared() -> None:
    async def scenario() -> None:
        service = _service(Clock())
        event = _event(i.AgentRegistered, "reg-frac", "frac", i.AgentRegisteredData(
            capacity=i.Capacity(units=30, profiles={"chat": 3}),
            skills={"fr": 3.5, "billing": 2.5}, queues=["general"], presence="available"))
        assert await service.handle(event) == []
        agent = await service.tenants["acme"].store.get_agent("frac")
        assert agent is not None and agent.skills == {"fr": 3.5, "billing": 2.5}
        assert _offer(await service.handle(_item("c1"))).data.agent_id == "frac"

    run(scenario())
