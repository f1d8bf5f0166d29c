"""The store contract: one suite, every adapter (memory, Redis, Redis Cluster).

Test modules import everything from here; their conftest decides which stores the
``store`` / ``make_store`` fixtures give.
"""

from __future__ import annotations

import asyncio

from router.core.types import AgentState, WorkItem
from router.state import OfferCommit, Outcome, Store, StoreConfig
from tests.unit.state.conftest import MakeStore

NOW = 1_700_000_000.0


def item(item_id: str, t: float = NOW, **kw: object) -> WorkItem:
    return WorkItem(id=item_id, created_at=t, **kw)  # type: ignore[arg-type]


def agent(agent_id: str, **kw: object) -> AgentState:
    fields: dict[str, object] = {
        "presence": "available",
        "total_units": 2,
        "queues": ("q",),
    }
    fields.update(kw)
    return AgentState(id=agent_id, **fields)  # type: ignore[arg-type]


async def enqueue(store: Store, item_id: str, t: float = NOW, queue: str = "q",
                  bucket: int = 0) -> int:
    out = await store.upsert_item(f"e-{item_id}-{t}", item(item_id, t), queue=queue,
                                  bucket=bucket, order_key=(t,), now=t)
    assert out.ok, out
    assert out.version is not None
    return out.version


def commit(offer_id: str, item_id: str, agent_id: str, version: int, **kw: object
           ) -> OfferCommit:
    fields: dict[str, object] = {"queue": "q", "units": 1, "deadline": NOW + 60}
    fields.update(kw)
    return OfferCommit(offer_id=offer_id, item_id=item_id, agent_id=agent_id,
                       item_version=version, **fields)  # type: ignore[arg-type]


async def ids(store: Store, queue: str = "q") -> list[str]:
    return [q.item.id for q in await store.top_items(queue, 1000)]


# -- items and queues -------------------------------------------------------------------


async def test_items_are_ordered_by_bucket_then_key_then_id(store: Store) -> None:
    rows = [("a", 1, (5.0,)), ("b", 0, (7.0,)), ("c", 0, (-3.5,)), ("d", 0, (7.0,)),
            ("e", -1, (9.0,)), ("f", 1, (float("-inf"),)), ("g", 0, (-0.0, 1.0))]
    for item_id, bucket, key in rows:
        out = await store.upsert_item(f"e-{item_id}", item(item_id), queue="q",
                                      bucket=bucket, order_key=key, now=NOW)
        assert (out.ok, out.code, out.version) == (True, "created", 1)
    assert await ids(store) == ["e", "c", "g", "b", "d", "f", "a"]
    assert [q.item.id for q in await store.top_items("q", 2)] == ["e", "c"]
    assert await store.queue_depth("q") == 7


async def test_an_update_rescores_and_bumps_the_version(store: Store) -> None:
    await enqueue(store, "a", NOW)
    await enqueue(store, "b", NOW + 1)
    out = await store.upsert_item("u1", item("a", attributes={"x": 1}), queue="q",
                                  bucket=0, order_key=(NOW + 2,), now=NOW + 3)
    assert (out.code, out.version) == ("updated", 2)
    assert await ids(store) == ["b", "a"]
    top = await store.top_items("q", 10)
    assert top[1].item.attributes == {"x": 1} and top[1].version == 2
    # moving to another queue takes it out of the first one
    await store.upsert_item("u2", item("a"), queue="r", bucket=0, order_key=(0.0,),
                            now=NOW + 4)
    assert await ids(store) == ["b"] and await ids(store, "r") == ["a"]


async def test_a_repeated_event_changes_nothing_and_returns_the_first_outcome(
    store: Store,
) -> None:
    first = await store.upsert_item("same", item("a"), queue="q", bucket=0,
                                    order_key=(NOW,), now=NOW, outputs=['{"id":"o1"}'])
    again = await store.upsert_item("same", item("a", attributes={"changed": True}),
                                    queue="r", bucket=3, order_key=(0.0,), now=NOW + 9)
    assert not first.duplicate and again.duplicate
    assert again.outputs == ('{"id":"o1"}',)
    assert again.version == first.version == 1
    record = await store.get_item("a")
    assert record is not None and record.version == 1 and record.item.attributes == {}
    assert await ids(store) == ["a"] and await ids(store, "r") == []


# -- commit -------------------------------------------------------------------------------


async def test_commit_reserves_capacity_and_records_the_offer(store: Store) -> None:
    await store.upsert_agent("ag", agent("x", total_units=2), now=NOW)
    v = await enqueue(store, "i")
    out = await store.commit_offer("c1", commit("o1", "i", "x", v), now=NOW + 1)
    assert (out.ok, out.code, out.units_used, out.units_total) == (True, "offered", 1, 2)
    assert await ids(store) == []
    rec = await store.get_item("i")
    assert rec is not None and (rec.state, rec.offer_id, rec.agent_id, rec.held) == (
        "offered", "o1", "x", True)
    offer = await store.get_offer("o1")
    assert offer is not None and (offer.state, offer.deadline) == ("pending", NOW + 60)
    ag = await store.get_agent("x")
    assert ag is not None and ag.used_units == 1 and ag.last_assigned_at == {"q": NOW + 1}
    assert [d.offer_id for d in await store.due_offers(NOW + 60, 10)] == ["o1"]
    assert await store.due_offers(NOW + 59, 10) == []


async def test_commit_refuses_a_stale_or_taken_item(store: Store) -> None:
    await store.upsert_agent("ag", agent("x"), now=NOW)
    v = await enqueue(store, "i")
    await store.upsert_item("upd", item("i"), queue="q", bucket=0, order_key=(NOW,),
                            now=NOW)
    stale = await store.commit_offer("c1", commit("o1", "i", "x", v), now=NOW)
    assert (stale.ok, stale.code) == (False, "conflict:item_version")
    ok = await store.commit_offer("c2", commit("o2", "i", "x", v + 1), now=NOW)
    assert ok.ok
    again = await store.commit_offer("c3", commit("o3", "i", "x", v + 2), now=NOW)
    assert again.code == "conflict:item_state"
    wrong_q = await enqueue(store, "j")
    out = await store.commit_offer("c4", commit("o4", "j", "x", wrong_q, queue="r"), now=NOW)
    assert out.code == "conflict:item_queue"


async def test_a_conflict_is_not_recorded_so_the_id_can_commit_later(store: Store) -> None:
    v = await enqueue(store, "i")
    first = await store.commit_offer("c1", commit("o1", "i", "x", v), now=NOW)
    assert first.code == "conflict:agent_unknown" and not first.duplicate
    await store.upsert_agent("ag", agent("x"), now=NOW)
    second = await store.commit_offer("c1", commit("o1", "i", "x", v), now=NOW)
    assert second.ok and not second.duplicate


async def test_recorded_returns_what_an_event_id_did_and_nothing_for_conflicts(
    store: Store,
) -> None:
    v = await enqueue(store, "i")
    assert await store.recorded("c1") is None
    await store.commit_offer("c1", commit("o1", "i", "x", v), now=NOW, outputs=["{}"])
    assert await store.recorded("c1") is None  # conflict: agent unknown, not recorded
    await store.upsert_agent("ag", agent("x"), now=NOW)
    first = await store.commit_offer("c1", commit("o1", "i", "x", v), now=NOW,
                                     outputs=['{"a":1}'])
    again = await store.recorded("c1")
    assert again is not None and again.duplicate
    assert again.outputs == first.outputs == ('{"a":1}',)
    assert again.offer_id == first.offer_id


# -- admit: upsert and first commit in one step ------------------------------------------


async def admit(store: Store, event_id: str, item_id: str, agent_id: str, **kw: object
                ) -> tuple[Outcome, Outcome | None]:
    return await store.admit_item(
        event_id, item(item_id), queue="q", bucket=0, order_key=(NOW,), now=NOW + 1,
        outputs=[f'{{"of":"{event_id}"}}'], offer_event_id=f"{event_id}/offer",
        offer=commit(f"o-{item_id}", item_id, agent_id, 0, **kw),
        offer_outputs=[f'{{"of":"{event_id}/offer"}}'])


async def test_admit_is_the_upsert_then_the_commit(store: Store) -> None:
    await store.upsert_agent("ag", agent("x", total_units=2), now=NOW)
    upserted, committed = await admit(store, "e1", "i", "x")
    assert (upserted.ok, upserted.code, upserted.version, upserted.duplicate) == (
        True, "created", 1, False)
    assert committed is not None
    assert (committed.ok, committed.code, committed.version, committed.units_used) == (
        True, "offered", 2, 1)
    assert upserted.outputs == ('{"of":"e1"}',)
    assert committed.outputs == ('{"of":"e1/offer"}',)
    # Two records and two consecutive slots, as two calls would have left.
    assert upserted.seq is not None and committed.seq == upserted.seq + 1
    for event_id in ("e1", "e1/offer"):
        rec = await store.recorded(event_id)
        assert rec is not None and rec.outputs == (f'{{"of":"{event_id}"}}',)
    assert await ids(store) == []
    rec_item = await store.get_item("i")
    assert rec_item is not None and (rec_item.state, rec_item.offer_id, rec_item.version) == (
        "offered", "o-i", 2)
    ag = await store.get_agent("x")
    assert ag is not None and ag.used_units == 1 and ag.last_assigned_at == {"q": NOW + 1}
    assert [d.offer_id for d in await store.due_offers(NOW + 60, 10)] == ["o-i"]


async def test_admit_again_changes_nothing_and_tries_no_commit(store: Store) -> None:
    await store.upsert_agent("ag", agent("x", total_units=2), now=NOW)
    first, _ = await admit(store, "e1", "i", "x")
    again, committed = await admit(store, "e1", "i", "x")
    assert again.duplicate and again.seq == first.seq and committed is None
    ag = await store.get_agent("x")
    assert ag is not None and ag.used_units == 1


async def test_admissions_of_one_turn_are_each_what_it_would_be_alone(store: Store) -> None:
    """A worker admits a batch's new items concurrently (the Redis store takes them in one
    script call): each outcome is what admitting them one after the other gives, with a
    redelivery and an agent running out of room among them, and the outbox slots follow
    the order of the commits."""
    await store.upsert_agent("ag", agent("x", total_units=2), now=NOW)
    (u1, c1), (u2, c2), (again, none), (u3, c3) = await asyncio.gather(
        admit(store, "e1", "i1", "x"), admit(store, "e2", "i2", "x"),
        admit(store, "e1", "i1", "x"), admit(store, "e3", "i3", "x"))
    assert c1 is not None and c2 is not None and c3 is not None
    assert (c1.ok, c1.units_used, c2.ok, c2.units_used) == (True, 1, True, 2)
    assert again.duplicate and again.seq == u1.seq and none is None
    assert u3.ok and c3.code == "conflict:unit_capacity"
    slots = [u1.seq, c1.seq, u2.seq, c2.seq, u3.seq]
    assert None not in slots and slots == sorted(slots) and len(set(slots)) == 5
    assert c3.seq is None
    assert await ids(store) == ["i3"]
    ag = await store.get_agent("x")
    assert ag is not None and ag.used_units == 2


async def test_admit_of_a_known_item_is_an_update_and_no_commit(store: Store) -> None:
    await store.upsert_agent("ag", agent("x", total_units=2), now=NOW)
    await enqueue(store, "i")
    upserted, committed = await admit(store, "e2", "i", "x")
    assert (upserted.code, upserted.version, committed) == ("updated", 2, None)
    assert await ids(store) == ["i"]
    # on offer now: the admission's announcement is dropped (no queue holds it)
    assert (await store.commit_offer("c", commit("o", "i", "x", 2), now=NOW)).ok
    upserted, committed = await admit(store, "e3", "i", "x")
    assert (upserted.code, upserted.seq, upserted.outputs, committed) == (
        "updated_not_waiting", None, (), None)


async def test_admit_with_a_conflicting_commit_leaves_the_item_queued(store: Store) -> None:
    await store.upsert_agent("ag", agent("x", total_units=1), now=NOW)
    upserted, committed = await admit(store, "e1", "i", "x", units=2)
    assert upserted.ok and upserted.code == "created"
    assert committed is not None and committed.code == "conflict:unit_capacity"
    assert committed.seq is None and await store.recorded("e1/offer") is None
    assert await ids(store) == ["i"]
    # The decision's id stays free: a later cycle commits under it.
    later = await store.commit_offer("e1/offer", commit("o-i", "i", "x", 1), now=NOW + 2)
    assert later.ok and not later.duplicate


async def test_commit_checks_presence_membership_units_and_profiles(store: Store) -> None:
    await store.upsert_agent("a1", agent("away", presence="away"), now=NOW)
    await store.upsert_agent("a2", agent("other", queues=("r",)), now=NOW)
    await store.upsert_agent("a3", agent("full", total_units=1), now=NOW)
    await store.upsert_agent("a4", agent("prof", total_units=9, profile_limits={"chat": 1}),
                             now=NOW)
    await store.upsert_agent("a5", agent("dflt", total_units=9), now=NOW)
    versions = {i: await enqueue(store, i) for i in ("i1", "i2", "i3", "i4", "i5")}
    assert (await store.commit_offer("c1", commit("o1", "i1", "away", versions["i1"]),
                                     now=NOW)).code == "conflict:agent_presence"
    assert (await store.commit_offer("c2", commit("o2", "i1", "other", versions["i1"]),
                                     now=NOW)).code == "conflict:agent_queue"
    assert (await store.commit_offer("c3", commit("o3", "i1", "full", versions["i1"],
                                                  units=2), now=NOW)).code == (
        "conflict:unit_capacity")
    chat = {"profiles": ("chat",), "units": 0}
    ok = await store.commit_offer("c4", commit("o4", "i2", "prof", versions["i2"], **chat),
                                  now=NOW)
    assert ok.ok and ok.profile_used == {"chat": 1} and ok.profile_limits == {"chat": 1}
    out = await store.commit_offer("c5", commit("o5", "i3", "prof", versions["i3"], **chat),
                                   now=NOW)
    assert out.code == "conflict:profile_capacity:chat"
    # no own limit: the tenant default applies (0 when there is none)
    assert (await store.commit_offer("c6", commit("o6", "i3", "dflt", versions["i3"], **chat),
                                     now=NOW)).code == "conflict:profile_capacity:chat"
    out = await store.commit_offer(
        "c7", commit("o7", "i3", "dflt", versions["i3"], profile_defaults={"chat": 2}, **chat),
        now=NOW)
    assert out.ok and out.profile_limits == {"chat": 2}
    # nothing changed by the refused commits
    assert await ids(store) == ["i1", "i4", "i5"]
    for name in ("away", "other", "full"):
        ag = await store.get_agent(name)
        assert ag is not None and ag.used_units == 0


async def test_offer_ids_are_single_use(store: Store) -> None:
    await store.upsert_agent("ag", agent("x"), now=NOW)
    v1, v2 = await enqueue(store, "i"), await enqueue(store, "j")
    assert (await store.commit_offer("c1", commit("o1", "i", "x", v1), now=NOW)).ok
    out = await store.commit_offer("c2", commit("o1", "j", "x", v2), now=NOW)
    assert out.code == "conflict:offer_id"


# -- offers --------------------------------------------------------------------------------


async def offered(store: Store, units: int = 2) -> None:
    await store.upsert_agent("ag", agent("x", total_units=units), now=NOW)
    v = await enqueue(store, "i")
    assert (await store.commit_offer("c", commit("o", "i", "x", v), now=NOW)).ok


async def test_accept_keeps_capacity_and_close_releases_it(store: Store) -> None:
    await offered(store)
    acc = await store.accept("acc", "o", now=NOW + 1)
    assert (acc.ok, acc.code, acc.agent_id) == (True, "accept", "x")
    assert await store.due_offers(NOW + 999, 10) == []
    rec = await store.get_item("i")
    assert rec is not None and rec.state == "assigned"
    assert (await store.accept("acc2", "o", now=NOW + 2)).code == "offer_accepted"
    done = await store.complete("cmp", "i", now=NOW + 3)
    assert done.ok and not done.released
    ag = await store.get_agent("x")
    assert ag is not None and ag.used_units == 1
    closed = await store.close("cls", "i", now=NOW + 4)
    assert closed.ok and closed.released
    ag = await store.get_agent("x")
    assert ag is not None and ag.used_units == 0 and ag.last_capacity_release_at == NOW + 4
    assert (await store.close("cls2", "i", now=NOW + 5)).code == "item_closed"


async def test_wrap_up_none_releases_at_completion(store: Store) -> None:
    await offered(store)
    await store.accept("acc", "o", now=NOW)
    out = await store.complete("cmp", "i", now=NOW + 1, wrap_up="none")
    assert out.released
    ag = await store.get_agent("x")
    assert ag is not None and ag.used_units == 0


async def test_wrap_up_seconds_releases_when_due(store: Store) -> None:
    await offered(store)
    await store.accept("acc", "o", now=NOW)
    out = await store.complete("cmp", "i", now=NOW + 1, wrap_up="seconds",
                               release_at=NOW + 31)
    assert out.ok and not out.released
    assert await store.due_wrap_ups(NOW + 30, 10) == []
    assert await store.due_wrap_ups(NOW + 31, 10) == ["i"]
    early = await store.release_wrap_up("rel", "i", now=NOW + 30)
    assert early.code == "not_due"
    late = await store.release_wrap_up("rel", "i", now=NOW + 31)  # same id: not recorded
    assert late.ok and late.released and not late.duplicate
    ag = await store.get_agent("x")
    assert ag is not None and ag.used_units == 0
    assert await store.due_wrap_ups(NOW + 99, 10) == []


async def test_decline_releases_requeues_and_counts(store: Store) -> None:
    await offered(store)
    out = await store.decline("d1", "o", now=NOW + 1, decline_limit=1)
    assert (out.ok, out.released, out.declines, out.distinct_decliners) == (True, True, 1, 1)
    assert out.agent_excluded and not out.item_excluded
    top = await store.top_items("q", 10)
    assert [t.item.id for t in top] == ["i"] and top[0].item.declines == {"x": 1}
    ag = await store.get_agent("x")
    assert ag is not None and ag.used_units == 0
    assert (await store.decline("d2", "o", now=NOW + 2)).code == "offer_declined"
    assert (await store.decline("d3", "nope", now=NOW + 2)).code == "unknown_offer"


async def test_enough_distinct_decliners_exclude_the_item(store: Store) -> None:
    await offered(store)
    out = await store.decline("d1", "o", now=NOW + 1, max_distinct_declines=1)
    assert out.item_excluded
    assert await ids(store) == []
    rec = await store.get_item("i")
    assert rec is not None and rec.state == "manual"


async def test_expire_waits_for_the_deadline(store: Store) -> None:
    await offered(store)
    early = await store.expire("x1", "o", now=NOW + 59)
    assert (early.ok, early.code) == (False, "not_due")
    late = await store.expire("x1", "o", now=NOW + 60)
    assert (late.ok, late.code, late.declines, late.duplicate) == (True, "expire", 1, False)
    offer = await store.get_offer("o")
    assert offer is not None and offer.state == "expired"
    assert await ids(store) == ["i"]


async def test_direct_assignment_has_no_deadline(store: Store) -> None:
    await store.upsert_agent("ag", agent("x"), now=NOW)
    v = await enqueue(store, "i")
    out = await store.commit_offer("c", commit("o", "i", "x", v, deadline=None), now=NOW)
    assert out.code == "assigned"
    assert await store.due_offers(NOW + 1e9, 10) == []
    assert (await store.accept("a", "o", now=NOW)).code == "offer_assigned"
    assert (await store.complete("cmp", "i", now=NOW)).ok


# -- revocation and cancellation -------------------------------------------------------------


async def test_going_offline_revokes_pending_offers(store: Store) -> None:
    await offered(store)
    out = await store.upsert_agent("off", agent("x", presence="offline"), now=NOW + 1)
    assert out.revoked == ("o",)
    assert await ids(store) == ["i"]
    offer = await store.get_offer("o")
    ag = await store.get_agent("x")
    assert offer is not None and offer.state == "revoked"
    assert ag is not None and ag.used_units == 0
    assert await store.candidate_agents("q", 10) == []


async def test_revoke_releases_without_counting_a_decline(store: Store) -> None:
    await offered(store)
    out = await store.revoke("r", "o", now=NOW + 1)
    assert out.ok and out.released and out.declines is None
    top = await store.top_items("q", 10)
    assert top[0].item.declines == {}


async def test_cancel_revokes_the_offer_and_releases(store: Store) -> None:
    await offered(store)
    out = await store.cancel("cx", "i", now=NOW + 1)
    assert (out.ok, out.revoked, out.released) == (True, ("o",), True)
    rec = await store.get_item("i")
    assert rec is not None and rec.state == "cancelled"
    assert (await store.upsert_item("late", item("i"), queue="q", bucket=0,
                                    order_key=(NOW,), now=NOW)).code == "terminal"
    assert await ids(store) == []
    await enqueue(store, "j")
    assert (await store.cancel("cj", "j", now=NOW)).ok and await ids(store) == []
    assert (await store.cancel("ck", "k", now=NOW)).code == "unknown_item"


# -- agents and the ready index ----------------------------------------------------------------


async def test_ready_index_holds_agents_with_room_most_free_first(store: Store) -> None:
    await store.upsert_agent("a1", agent("a", total_units=1), now=NOW)
    await store.upsert_agent("a2", agent("b", total_units=3), now=NOW)
    await store.upsert_agent("a3", agent("c", presence="offline"), now=NOW)
    await store.upsert_agent("a4", agent("d", total_units=0, profile_limits={"p": 1}),
                             now=NOW)
    assert [a.id for a in await store.candidate_agents("q", 10)] == ["b", "a", "d"]
    assert [a.id for a in await store.candidate_agents("q", 1)] == ["b"]
    v = await enqueue(store, "i")
    await store.commit_offer("c", commit("o", "i", "a", v), now=NOW)
    assert [a.id for a in await store.candidate_agents("q", 10)] == ["b", "d"]
    await store.decline("d", "o", now=NOW)
    assert [a.id for a in await store.candidate_agents("q", 10)] == ["b", "a", "d"]


async def test_agent_updates_keep_used_capacity_and_move_indexes(store: Store) -> None:
    await offered(store, units=3)
    out = await store.upsert_agent("u", agent("x", total_units=3, queues=("r",),
                                              skills={"fr": 5}), now=NOW + 1)
    assert (out.code, out.version) == ("updated", 2)
    ag = await store.get_agent("x")
    assert ag is not None and ag.used_units == 1 and ag.skills == {"fr": 5}
    assert await store.candidate_agents("q", 10) == []
    cands = await store.candidate_agents("r", 10)
    assert [a.id for a in cands] == ["x"] and cands[0].used_units == 1


# -- idempotency retention ------------------------------------------------------------------------


async def test_seen_ids_are_trimmed_by_count_and_age(make_store: MakeStore) -> None:
    store = make_store(StoreConfig(seen_max=3, seen_retention_seconds=100.0))
    for n in range(5):
        await store.upsert_item(f"e{n}", item(f"i{n}"), queue="q", bucket=0,
                                order_key=(float(n),), now=NOW + n)
    # the two oldest ids are forgotten: applied again, they count as new events
    assert not (await store.upsert_item("e0", item("i0"), queue="q", bucket=0,
                                        order_key=(0.0,), now=NOW + 5)).duplicate
    assert (await store.upsert_item("e4", item("i4"), queue="q", bucket=0,
                                    order_key=(4.0,), now=NOW + 5)).duplicate
    # after the retention period, even a recent count is forgotten
    await store.upsert_item("late", item("z"), queue="q", bucket=0, order_key=(9.0,),
                            now=NOW + 500)
    assert not (await store.upsert_item("e4", item("i4"), queue="q", bucket=0,
                                        order_key=(4.0,), now=NOW + 501)).duplicate


async def test_changes_with_outputs_take_consecutive_outbox_slots(store: Store) -> None:
    """The slot order is the commit order: the publication order of every worker."""
    given = await store.upsert_item("e1", item("i1"), queue="q", bucket=0, order_key=(NOW,),
                                    now=NOW, outputs=['{"id":"o1"}'])
    deferred = await store.upsert_item("e2", item("i2"), queue="q", bucket=0,
                                       order_key=(NOW,), now=NOW, outputs=None)
    silent = await store.upsert_item("e3", item("i3"), queue="q", bucket=0, order_key=(NOW,),
                                     now=NOW)
    assert given.seq is not None and deferred.seq == given.seq + 1
    assert silent.seq is None


async def test_a_redelivered_change_returns_its_slot_and_refills_it_as_a_no_op(
    store: Store,
) -> None:
    first = await store.upsert_item("e1", item("i1"), queue="q", bucket=0, order_key=(NOW,),
                                    now=NOW, outputs=None)
    assert first.seq is not None
    await store.fill_outbox(first.seq, ['{"id":"a"}'])
    again = await store.upsert_item("e1", item("i1"), queue="q", bucket=0, order_key=(NOW,),
                                    now=NOW, outputs=None)
    assert again.duplicate and again.seq == first.seq
    await store.fill_outbox(first.seq, ['{"id":"b"}'])  # different content: ignored
    nxt = await store.upsert_item("e2", item("i2"), queue="q", bucket=0, order_key=(NOW,),
                                  now=NOW, outputs=[])
    assert nxt.seq is None  # an empty list of outputs takes no slot


async def test_a_conflict_takes_no_outbox_slot(store: Store) -> None:
    v = await enqueue(store, "i")
    await store.upsert_agent("a", agent("x"), now=NOW)
    await store.commit_offer("c1", commit("o1", "i", "x", v), now=NOW, outputs=["{}"])
    stale = await store.commit_offer("c2", commit("o2", "i", "x", v), now=NOW,
                                     outputs=["{}"])
    assert stale.conflict and stale.seq is None


async def test_an_update_of_an_item_no_queue_holds_is_kept_and_announces_nothing(
    store: Store,
) -> None:
    """On offer or assigned, an item takes the update for a later requeue, but the
    outputs given (its classification and queue) are dropped and no slot is reserved:
    they would announce it queued while an agent has it."""
    await offered(store)
    given = await store.upsert_item("u1", item("i", attributes={"x": 1}), queue="r",
                                    bucket=0, order_key=(NOW,), now=NOW + 1,
                                    outputs=['{"id":"queued"}'])
    assert (given.ok, given.code, given.seq, given.outputs) == (
        True, "updated_not_waiting", None, ())
    assert given.not_waiting and given.version == 3
    again = await store.upsert_item("u1", item("i"), queue="q", bucket=0,
                                    order_key=(NOW,), now=NOW + 2,
                                    outputs=['{"id":"queued"}'])
    assert again.duplicate and again.not_waiting and again.seq is None
    rec = await store.get_item("i")
    assert rec is not None and rec.state == "offered" and rec.item.attributes == {"x": 1}
    assert await ids(store) == [] and await ids(store, "r") == []
    # declined, it waits in the queue the update named
    assert (await store.decline("d1", "o", now=NOW + 3)).ok
    assert await ids(store, "r") == ["i"]
    waiting = await store.upsert_item("u2", item("i"), queue="r", bucket=0,
                                      order_key=(NOW,), now=NOW + 4, outputs=["{}"])
    assert waiting.code == "updated" and waiting.seq is not None
    # assigned: the same, a slot asked for (outputs None) included
    await store.upsert_agent("ag2", agent("x", queues=("q", "r")), now=NOW + 5)
    v = (await store.get_item("i")).version  # type: ignore[union-attr]
    assert (await store.commit_offer("c2", commit("o2", "i", "x", v, queue="r"),
                                     now=NOW + 5)).ok
    assert (await store.accept("a2", "o2", now=NOW + 6)).ok
    reserved = await store.upsert_item("u3", item("i"), queue="q", bucket=0,
                                       order_key=(NOW,), now=NOW + 7, outputs=None)
    assert reserved.not_waiting and reserved.seq is None
    rec = await store.get_item("i")
    assert rec is not None and rec.state == "assigned"


async def test_an_update_moving_an_item_on_offer_revokes_the_offer_and_queues_it(
    store: Store,
) -> None:
    """C5: on offer, the item is still unassigned. An update that sends it away from the
    offer's queue (to another or to none) revokes the offer the caller names, releases
    what it held and places the item as a waiting one; in the offer's queue it keeps the
    offer. The caller names the offer because its outputs announce the revocation: when
    the store finds another (or none), nothing changes and the caller reads again."""
    await offered(store)
    same = await store.upsert_item("u0", item("i", attributes={"x": 1}), queue="q",
                                   bucket=0, order_key=(NOW,), now=NOW + 1, outputs=["{}"],
                                   revoking="")
    assert (same.code, same.revoked, same.seq) == ("updated_not_waiting", (), None)
    unexpected = await store.upsert_item("u1", item("i"), queue="r", bucket=0,
                                         order_key=(NOW,), now=NOW + 2, outputs=["{}"],
                                         revoking="")
    assert (unexpected.ok, unexpected.code, unexpected.seq) == (
        False, "conflict:item_state", None)
    moved = await store.upsert_item("u1", item("i", attributes={"x": 2}), queue="r",
                                    bucket=0, order_key=(NOW,), now=NOW + 2,
                                    outputs=['{"id":"revoked"}'], revoking="o")
    assert (moved.ok, moved.code, moved.revoked, moved.agent_id, moved.released) == (
        True, "updated", ("o",), "x", True)
    assert not moved.duplicate and moved.seq is not None and moved.version == 4
    again = await store.upsert_item("u1", item("i"), queue="r", bucket=0,
                                    order_key=(NOW,), now=NOW + 3, outputs=["{}"],
                                    revoking="o")
    assert again.duplicate and again.revoked == ("o",) and again.seq == moved.seq
    assert again.outputs == ('{"id":"revoked"}',)
    rec = await store.get_item("i")
    assert rec is not None and (rec.state, rec.queue, rec.offer_id, rec.agent_id) == (
        "queued", "r", None, None)
    assert rec.item.attributes == {"x": 2}
    assert await ids(store) == [] and await ids(store, "r") == ["i"]
    offer, ag = await store.get_offer("o"), await store.get_agent("x")
    assert offer is not None and offer.state == "revoked"
    assert ag is not None and ag.used_units == 0  # released once, not on the redelivery
    assert await store.due_offers(NOW + 999, 10) == []
    assert (await store.accept("late", "o", now=NOW + 4)).code == "offer_revoked"
    stale = await store.upsert_item("u2", item("i"), queue="q", bucket=0,
                                    order_key=(NOW,), now=NOW + 4, outputs=["{}"],
                                    revoking="o")  # read before the move: no offer now
    assert stale.conflict and await ids(store, "r") == ["i"]
    # offered again from its new queue, then left without one
    await store.upsert_agent("ag2", agent("x", queues=("q", "r")), now=NOW + 5)
    assert (await store.commit_offer("c2", commit("o2", "i", "x", rec.version, queue="r"),
                                     now=NOW + 5)).ok
    unqueued = await store.upsert_item("u3", item("i"), queue=None, bucket=0, order_key=(),
                                       now=NOW + 6, outputs=["{}"], revoking="o2")
    assert (unqueued.code, unqueued.revoked, unqueued.released) == ("updated", ("o2",), True)
    rec = await store.get_item("i")
    assert rec is not None and rec.state == "unqueued" and await ids(store, "r") == []
    assert (await store.get_agent("x")).used_units == 0  # type: ignore[union-attr]


async def test_a_creation_repeated_never_moves_an_item_on_offer(store: Store) -> None:
    await offered(store)
    kept = await store.upsert_item("u1", item("i"), queue="r", bucket=0, order_key=(NOW,),
                                   now=NOW + 1, outputs=["{}"])
    assert kept.not_waiting and kept.revoked == () and not kept.released
    offer = await store.get_offer("o")
    assert offer is not None and offer.state == "pending"
    # the update that follows compares with the offer's queue, not the one just stored
    same = await store.upsert_item("u2", item("i"), queue="q", bucket=0, order_key=(NOW,),
                                   now=NOW + 2, outputs=["{}"], revoking="")
    assert same.not_waiting
    moved = await store.upsert_item("u3", item("i"), queue="r", bucket=0, order_key=(NOW,),
                                    now=NOW + 3, outputs=["{}"], revoking="o")
    assert moved.revoked == ("o",)


async def test_items_past_their_ttl_are_due_until_handled_or_finished(store: Store) -> None:
    for item_id, at in (("late", NOW + 20), ("early", NOW + 10), ("never", NOW + 99)):
        await enqueue(store, item_id)
        await store.schedule_expiry(item_id, at)
    await store.schedule_expiry("early", NOW + 10)  # again (a redelivery): no change
    assert await store.due_expiries(NOW + 30, 10) == ["early", "late"]
    assert await store.due_expiries(NOW + 30, 1) == ["early"]
    await store.expire_item("x", "early", now=NOW + 30)  # handled: leaves the index
    assert (await store.cancel("c", "late", now=NOW + 21)).ok  # finished: leaves the index
    assert await store.due_expiries(NOW + 30, 10) == []
    assert await store.due_expiries(NOW + 100, 10) == ["never"]


async def test_an_expired_item_is_cancelled_unless_an_agent_has_it(store: Store) -> None:
    """X3: waiting -> cancelled; on offer -> offer revoked, capacity freed, cancelled;
    assigned -> refused (held_by_agent), nothing changes; finished -> refused."""
    await enqueue(store, "w")
    await store.schedule_expiry("w", NOW + 5)
    out = await store.expire_item("x1", "w", now=NOW + 6, outputs=["{}"])
    assert (out.ok, out.code, out.revoked) == (True, "expire", ())
    rec = await store.get_item("w")
    assert rec is not None and rec.state == "cancelled" and await ids(store) == []
    assert await store.due_expiries(NOW + 6, 10) == []
    assert (await store.expire_item("x1", "w", now=NOW + 7)).duplicate
    assert (await store.expire_item("x2", "w", now=NOW + 7)).code == "item_cancelled"

    await offered(store)  # i offered to x as o
    out = await store.expire_item("x3", "i", now=NOW + 8)
    assert (out.ok, out.revoked, out.released, out.agent_id) == (True, ("o",), True, "x")
    ag = await store.get_agent("x")
    assert ag is not None and ag.used_units == 0
    offer_rec = await store.get_offer("o")
    assert offer_rec is not None and offer_rec.state == "revoked"

    v = await enqueue(store, "j")
    assert (await store.commit_offer("c2", commit("o2", "j", "x", v), now=NOW)).ok
    assert (await store.accept("a2", "o2", now=NOW + 1)).ok
    held = await store.expire_item("x4", "j", now=NOW + 9)
    assert (held.ok, held.code) == (False, "held_by_agent")
    rec = await store.get_item("j")
    assert rec is not None and rec.state == "assigned"
    ag = await store.get_agent("x")
    assert ag is not None and ag.used_units == 1


async def test_a_manual_pick_takes_an_excluded_item_from_outside_the_agents_queues(
    store: Store,
) -> None:
    await offered(store)
    await store.decline("d1", "o", now=NOW + 1, max_distinct_declines=1)  # -> manual
    rec = await store.get_item("i")
    assert rec is not None and rec.state == "manual"
    await store.upsert_agent("b", agent("outsider", queues=("other",)), now=NOW)
    auto = await store.commit_offer("c2", commit("o2", "i", "outsider", rec.version),
                                    now=NOW + 2)
    assert auto.code == "conflict:item_state"  # not for automatic assignment
    pick = await store.commit_offer(
        "p1", commit("p1", "i", "outsider", rec.version, deadline=None, manual=True),
        now=NOW + 2)
    assert pick.ok and pick.code == "assigned"
    rec = await store.get_item("i")
    assert rec is not None and rec.state == "assigned" and rec.agent_id == "outsider"
    assert await store.queue_depth("q") == 0


async def test_requeue_releases_the_agent_and_queues_the_item_up_to_the_limit(
    store: Store,
) -> None:
    v = await enqueue(store, "i")
    await store.upsert_agent("a", agent("x"), now=NOW)
    await store.commit_offer("c1", commit("o1", "i", "x", v, deadline=None), now=NOW)
    assert (await store.requeue("r0", "nope", queue="q", bucket=0, order_key=(NOW,),
                                limit=1, now=NOW)).code == "not_assigned"
    back = await store.requeue("r1", "i", queue="q2", bucket=0, order_key=(NOW,), limit=1,
                               now=NOW + 1)
    assert back.ok and back.requeues == 1 and back.agent_id == "x" and back.released
    assert [t.item.id for t in await store.top_items("q2", 5)] == ["i"]
    ag = await store.get_agent("x")
    assert ag is not None and ag.used_units == 0
    rec = await store.get_item("i")
    assert rec is not None
    await store.upsert_agent("a2", agent("y", queues=("q2",)), now=NOW)
    await store.commit_offer("c2", commit("o2", "i", "y", rec.version, queue="q2",
                                          deadline=None), now=NOW + 2)
    over = await store.requeue("r2", "i", queue="q2", bucket=0, order_key=(NOW,), limit=1,
                               now=NOW + 3)
    assert over.code == "requeue_limit" and not over.ok


async def test_pages_of_a_queue_and_reordering_waiting_items(store: Store) -> None:
    versions = {n: await enqueue(store, n, NOW + k) for k, n in enumerate(["a", "b", "c"])}
    assert [q.item.id for q in await store.top_items("q", 2, offset=1)] == ["b", "c"]
    moved = await store.reorder("q", [("c", versions["c"], 0, (NOW - 10,)),
                                      ("b", versions["b"] + 1, 0, (NOW - 20,)),  # stale
                                      ("a", versions["a"], 0, (NOW,))])  # same place
    assert moved == 1
    assert await ids(store) == ["c", "a", "b"]
    assert await store.reorder("q", [("c", versions["c"], 0, (NOW - 10,))]) == 0
