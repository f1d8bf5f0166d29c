"""The store in process memory: the same semantics as the Lua scripts, in Python.

Used by the simulator (B2) and by unit tests; it passes the same contract suite as the
Redis store. Each method mirrors one script of ``router/state/lua`` step by step,
including the idempotency records, their trimming and the orders Redis returns
(lexicographic members, ties of equal scores by member), so both stores give equal
outcomes and equal reads for the same calls. Not thread-safe; one event loop.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from msgspec import structs

from router.core.types import AgentState, WorkItem
from router.state import codec
from router.state.member import encode_member, item_of
from router.state.model import (
    DEFAULT_CONFIG,
    NOT_WAITING,
    DueOffer,
    ItemRecord,
    OfferCommit,
    OfferRecord,
    Outcome,
    QueuedItem,
    StoreConfig,
)
from router.state.store import WrapUpMode


@dataclass
class _Item:
    snap: WorkItem
    st: str = ""
    v: int = 0
    q: str = ""
    m: str = ""
    o: str = ""
    a: str = ""
    h: bool = False
    u: int = 0
    pf: tuple[str, ...] = ()
    rq: int = 0


@dataclass
class _Agent:
    snap: AgentState
    bp: str = "offline"
    ix: bool = False
    tu: int = 0
    uu: int = 0
    qs: tuple[str, ...] = ()
    pl: dict[str, int] = field(default_factory=dict)
    pu: dict[str, int] = field(default_factory=dict)
    la: dict[str, float] = field(default_factory=dict)
    rel: float | None = None
    v: int = 0


@dataclass
class _Offer:
    item: str
    agent: str
    queue: str
    st: str
    v: int
    u: int
    pf: tuple[str, ...]
    dl: float | None
    at: float


class _Done(Exception):
    def __init__(self, fields: dict[str, Any], record: bool = True) -> None:
        self.fields = fields
        self.record = record


@dataclass
class _Tenant:
    items: dict[str, _Item] = field(default_factory=dict)
    declines: dict[str, dict[str, int]] = field(default_factory=dict)
    agents: dict[str, _Agent] = field(default_factory=dict)
    agent_offers: dict[str, set[str]] = field(default_factory=dict)
    queue_items: dict[str, list[str]] = field(default_factory=dict)
    queue_manual: dict[str, set[str]] = field(default_factory=dict)
    ready: dict[str, dict[str, int]] = field(default_factory=dict)
    offers: dict[str, _Offer] = field(default_factory=dict)
    offers_due: dict[str, float] = field(default_factory=dict)
    wrapup_due: dict[str, float] = field(default_factory=dict)
    expiries: dict[str, float] = field(default_factory=dict)
    seen_heap: list[tuple[float, str]] = field(default_factory=list)
    results: dict[str, Outcome] = field(default_factory=dict)
    outbox_seq: int = 0
    outbox: dict[int, list[str] | None] = field(default_factory=dict)  # None = reserved


class MemoryBackend:
    """All tenants' state in one process."""

    def __init__(self, config: StoreConfig = DEFAULT_CONFIG) -> None:
        self.config = config
        self._tenants: dict[str, _Tenant] = {}

    def tenant(self, tenant: str) -> MemoryStore:
        from router.state import keys

        keys.tenant_tag(tenant)  # same validation as the Redis keys
        return MemoryStore(self._tenants.setdefault(tenant, _Tenant()), tenant, self.config)


class MemoryStore:
    def __init__(self, state: _Tenant, tenant: str, config: StoreConfig) -> None:
        self._s = state
        self._tenant = tenant
        self._c = config

    @property
    def tenant(self) -> str:
        return self._tenant

    # -- shared machinery (mirrors _lib.lua) ----------------------------------------------

    def _run(
        self,
        event_id: str,
        now: float,
        outputs: Sequence[str] | None,
        body: Callable[[], dict[str, Any]],
    ) -> Outcome:
        s = self._s
        if event_id in s.results:
            return structs.replace(s.results[event_id], duplicate=True)
        record = True
        try:
            fields = body()
        except _Done as done:
            fields, record = done.fields, done.record
        fields["event_id"] = event_id
        if fields.get("code") == NOT_WAITING:
            outputs = ()  # an item no queue holds: nothing to announce (mirrors _lib.lua)
        elif outputs and not fields.get("ok"):
            outputs = ()  # given outputs announce a success (mirrors _lib.lua)
        if outputs:
            fields["outputs"] = list(outputs)
        if record and (outputs is None or len(outputs) > 0):
            s.outbox_seq += 1
            s.outbox[s.outbox_seq] = None if outputs is None else list(outputs)
            fields["seq"] = s.outbox_seq
        outcome = codec.outcome_from(fields)
        if record:
            heapq.heappush(s.seen_heap, (now, event_id))
            s.results[event_id] = outcome
            self._trim(now)
        return outcome

    def _trim(self, now: float) -> None:
        s, c = self._s, self._c
        cutoff = now - c.seen_retention_seconds
        old: list[tuple[float, str]] = []
        heap = s.seen_heap
        while heap and len(old) < c.trim_batch and heap[0][0] < cutoff:
            old.append(heapq.heappop(heap))
        extra = len(heap) - c.seen_max
        if extra > 0:
            for _ in range(min(extra, c.trim_batch)):
                old.append(heapq.heappop(heap))
        for _, event_id in old:
            del s.results[event_id]

    def _reindex(self, aid: str) -> None:
        a = self._s.agents[aid]
        free = a.tu - a.uu
        room = free > 0 or a.tu == 0 or any(a.pl[p] - a.pu.get(p, 0) > 0 for p in a.pl)
        for q in a.qs:
            ready = self._s.ready.setdefault(q, {})
            if a.ix and room:
                ready[aid] = free
            else:
                ready.pop(aid, None)

    def _release(self, aid: str, units: int, profiles: Sequence[str], now: float) -> None:
        a = self._s.agents.get(aid)
        if a is None:
            return
        a.uu -= units
        for p in profiles:
            a.pu[p] = a.pu.get(p, 0) - 1
        a.rel = now
        self._reindex(aid)

    def _release_item(self, it: _Item, now: float) -> bool:
        if not it.h:
            return False
        self._release(it.a, it.u, it.pf, now)
        it.h = False
        return True

    def _close_offer(self, oid: str, st: str, now: float) -> _Offer:
        o = self._s.offers[oid]
        o.st = st
        self._s.offers_due.pop(oid, None)
        self._s.agent_offers.get(o.agent, set()).discard(oid)
        self._release_item(self._s.items[o.item], now)
        return o

    def _requeue(self, it: _Item, state: str) -> int:
        if state == "manual":
            self._s.queue_manual.setdefault(it.q, set()).add(it.m)
        else:
            self._zadd(it.q, it.m)
        it.st, it.o, it.a = state, "", ""
        it.v += 1
        return it.v

    def _zadd(self, queue: str, member: str) -> None:
        members = self._s.queue_items.setdefault(queue, [])
        i = bisect.bisect_left(members, member)
        if i == len(members) or members[i] != member:
            members.insert(i, member)

    def _zrem(self, queue: str, member: str) -> None:
        members = self._s.queue_items.get(queue, [])
        i = bisect.bisect_left(members, member)
        if i < len(members) and members[i] == member:
            del members[i]

    def _unqueue(self, it: _Item) -> None:
        if it.st == "queued":
            self._zrem(it.q, it.m)
        elif it.st == "manual":
            self._s.queue_manual.get(it.q, set()).discard(it.m)

    # -- mutations --------------------------------------------------------------------------

    async def upsert_item(
        self,
        event_id: str,
        item: WorkItem,
        *,
        queue: str | None,
        bucket: int,
        order_key: Sequence[float],
        now: float,
        outputs: Sequence[str] | None = (),
        revoking: str | None = None,
    ) -> Outcome:
        member = encode_member(bucket, order_key, item.id)
        snap = codec.decode_item(codec.encode_item(item))

        def body() -> dict[str, Any]:
            s = self._s
            it = s.items.get(item.id)
            if it is not None and it.st in ("closed", "cancelled"):
                return {"ok": False, "code": "terminal", "item_id": item.id}
            moving = ""
            if revoking is not None and it is not None and it.st == "offered" and it.o:
                offer = s.offers[it.o]
                if offer.st == "pending" and offer.queue != (queue or ""):
                    moving = it.o
            if revoking is not None and moving != revoking:
                raise _Done({"ok": False, "code": "conflict:item_state",
                             "item_id": item.id}, record=False)
            res: dict[str, Any] = {"ok": True, "code": "updated", "item_id": item.id}
            if it is None:
                res["code"] = "created"
                it = s.items[item.id] = _Item(snap=snap)
            elif it.st in ("queued", "manual"):
                self._unqueue(it)
            elif moving:  # still unassigned (C5); its offer was for the queue it leaves
                res["released"] = it.h
                res["revoked"], res["agent_id"] = [moving], it.a
                self._close_offer(moving, "revoked", now)
                it.o, it.a, it.st = "", "", "unqueued"
            elif it.st != "unqueued":
                res["code"] = NOT_WAITING
            it.snap, it.q, it.m = snap, queue or "", member
            if it.st in ("", "queued", "unqueued"):
                if queue:
                    self._zadd(queue, member)
                    it.st = "queued"
                else:
                    it.st = "unqueued"
            elif it.st == "manual":
                if queue:
                    self._s.queue_manual.setdefault(queue, set()).add(member)
                else:
                    it.st = "unqueued"
            it.v += 1
            res["version"] = it.v
            return res

        return self._run(event_id, now, outputs, body)

    async def admit_item(
        self,
        event_id: str,
        item: WorkItem,
        *,
        queue: str,
        bucket: int,
        order_key: Sequence[float],
        now: float,
        outputs: Sequence[str],
        offer_event_id: str,
        offer: OfferCommit,
        offer_outputs: Sequence[str],
    ) -> tuple[Outcome, Outcome | None]:
        # Atomic as one call: neither step awaits anything.
        upserted = await self.upsert_item(event_id, item, queue=queue, bucket=bucket,
                                          order_key=order_key, now=now, outputs=outputs)
        if upserted.duplicate or upserted.code != "created" or not queue:
            return upserted, None
        committed = await self.commit_offer(
            offer_event_id, structs.replace(offer, item_version=upserted.version or 0),
            now=now, outputs=offer_outputs)
        return upserted, committed

    async def upsert_agent(
        self,
        event_id: str,
        agent: AgentState,
        *,
        now: float,
        base_presence: str | None = None,
        outputs: Sequence[str] | None = (),
    ) -> Outcome:
        base = codec.base_presence_of(agent, base_presence)
        snap = codec.decode_agent(codec.encode_agent(agent))
        queues = tuple(dict.fromkeys(agent.queues))

        def body() -> dict[str, Any]:
            s = self._s
            a = s.agents.get(agent.id)
            code = "updated"
            if a is None:
                code = "registered"
                a = s.agents[agent.id] = _Agent(snap=snap)
            for q in a.qs:
                if q not in queues:
                    s.ready.get(q, {}).pop(agent.id, None)
            a.snap, a.bp, a.tu, a.qs = snap, base, agent.total_units, queues
            a.ix = base in self._c.indexed_presences
            a.pl = dict(agent.profile_limits)
            a.v += 1
            revoked: list[str] = []
            if base == "offline":
                revoked = sorted(s.agent_offers.get(agent.id, set()))
                for oid in revoked:
                    o = self._close_offer(oid, "revoked", now)
                    self._requeue(s.items[o.item], "queued")
            self._reindex(agent.id)
            res: dict[str, Any] = {"ok": True, "code": code, "agent_id": agent.id, "version": a.v}
            if revoked:
                res["revoked"] = revoked
            return res

        return self._run(event_id, now, outputs, body)

    async def commit_offer(
        self, event_id: str, offer: OfferCommit, *, now: float, outputs: Sequence[str] | None = ()
    ) -> Outcome:
        def conflict(what: str) -> _Done:
            return _Done(
                {
                    "ok": False,
                    "code": f"conflict:{what}",
                    "item_id": offer.item_id,
                    "agent_id": offer.agent_id,
                    "offer_id": offer.offer_id,
                },
                record=False,
            )

        def body() -> dict[str, Any]:
            s = self._s
            it = s.items.get(offer.item_id)
            if it is None or not (it.st == "queued" or (offer.manual and it.st == "manual")):
                raise conflict("item_state")
            if it.v != offer.item_version:
                raise conflict("item_version")
            if it.q != offer.queue:
                raise conflict("item_queue")
            if offer.offer_id in s.offers:
                raise conflict("offer_id")
            a = s.agents.get(offer.agent_id)
            if a is None:
                raise conflict("agent_unknown")
            if offer.queue not in a.qs and not offer.manual:
                raise conflict("agent_queue")
            if a.bp not in offer.allowed_presences and not offer.manual:
                raise conflict("agent_presence")
            if offer.units > 0 and a.tu - a.uu < offer.units:
                raise conflict("unit_capacity")
            limits: dict[str, int] = {}
            used: dict[str, int] = {}
            for p in offer.profiles:
                limit = a.pl.get(p, offer.profile_defaults.get(p, 0))
                if a.pu.get(p, 0) + 1 > limit:
                    raise conflict(f"profile_capacity:{p}")
                limits[p], used[p] = limit, a.pu.get(p, 0) + 1
            if it.st == "manual":
                s.queue_manual.get(offer.queue, set()).discard(it.m)
            else:
                self._zrem(offer.queue, it.m)
            a.uu += offer.units
            for p in offer.profiles:
                a.pu[p] = a.pu.get(p, 0) + 1
            a.la[offer.queue] = now
            self._reindex(offer.agent_id)
            direct = offer.deadline is None
            st = "assigned" if direct else "offered"
            it.st, it.o, it.a, it.h = st, offer.offer_id, offer.agent_id, True
            it.u, it.pf = offer.units, tuple(offer.profiles)
            it.v += 1
            s.offers[offer.offer_id] = _Offer(
                item=offer.item_id,
                agent=offer.agent_id,
                queue=offer.queue,
                st="assigned" if direct else "pending",
                v=offer.item_version,
                u=offer.units,
                pf=tuple(offer.profiles),
                dl=offer.deadline,
                at=now,
            )
            if offer.deadline is not None:
                s.offers_due[offer.offer_id] = offer.deadline
                s.agent_offers.setdefault(offer.agent_id, set()).add(offer.offer_id)
            res: dict[str, Any] = {
                "ok": True,
                "code": st,
                "item_id": offer.item_id,
                "agent_id": offer.agent_id,
                "offer_id": offer.offer_id,
                "version": it.v,
                "units_used": a.uu,
                "units_total": a.tu,
            }
            if offer.profiles:
                res["profile_used"], res["profile_limits"] = used, limits
            return res

        return self._run(event_id, now, outputs, body)

    def _resolve(
        self,
        action: str,
        event_id: str,
        offer_id: str,
        now: float,
        outputs: Sequence[str] | None,
        decline_limit: int = 3,
        max_distinct: int = 100,
    ) -> Outcome:
        def body() -> dict[str, Any]:
            s = self._s
            o = s.offers.get(offer_id)
            if o is None:
                return {"ok": False, "code": "unknown_offer", "offer_id": offer_id}
            res: dict[str, Any] = {
                "ok": True,
                "code": action,
                "offer_id": offer_id,
                "item_id": o.item,
                "agent_id": o.agent,
            }
            if o.st != "pending":
                res["ok"], res["code"] = False, f"offer_{o.st}"
                return res
            if action == "expire" and o.dl is not None and o.dl > now:
                res["ok"], res["code"] = False, "not_due"
                raise _Done(res, record=False)
            it = s.items[o.item]
            if action == "accept":
                o.st = "accepted"
                s.offers_due.pop(offer_id, None)
                s.agent_offers.get(o.agent, set()).discard(offer_id)
                it.st = "assigned"
                it.v += 1
                res["version"] = it.v
                return res
            st = {"decline": "declined", "expire": "expired", "revoke": "revoked"}[action]
            self._close_offer(offer_id, st, now)
            res["released"] = True
            state = "queued"
            if action != "revoke":
                counts = s.declines.setdefault(o.item, {})
                counts[o.agent] = counts.get(o.agent, 0) + 1
                res["declines"] = counts[o.agent]
                res["distinct_decliners"] = len(counts)
                res["agent_excluded"] = counts[o.agent] >= decline_limit
                if len(counts) >= max_distinct:
                    res["item_excluded"] = True
                    state = "manual"
            res["version"] = self._requeue(it, state)
            return res

        return self._run(event_id, now, outputs, body)

    async def accept(
        self, event_id: str, offer_id: str, *, now: float, outputs: Sequence[str] | None = ()
    ) -> Outcome:
        return self._resolve("accept", event_id, offer_id, now, outputs)

    async def decline(
        self,
        event_id: str,
        offer_id: str,
        *,
        now: float,
        decline_limit: int = 3,
        max_distinct_declines: int = 100,
        outputs: Sequence[str] | None = (),
    ) -> Outcome:
        return self._resolve(
            "decline", event_id, offer_id, now, outputs, decline_limit, max_distinct_declines
        )

    async def expire(
        self,
        event_id: str,
        offer_id: str,
        *,
        now: float,
        decline_limit: int = 3,
        max_distinct_declines: int = 100,
        outputs: Sequence[str] | None = (),
    ) -> Outcome:
        return self._resolve(
            "expire", event_id, offer_id, now, outputs, decline_limit, max_distinct_declines
        )

    async def revoke(
        self, event_id: str, offer_id: str, *, now: float, outputs: Sequence[str] | None = ()
    ) -> Outcome:
        return self._resolve("revoke", event_id, offer_id, now, outputs)

    def _finish(
        self,
        action: str,
        event_id: str,
        item_id: str,
        now: float,
        outputs: Sequence[str] | None,
        wrap_up: str = "until_closed",
        release_at: float | None = None,
    ) -> Outcome:
        def body() -> dict[str, Any]:
            s = self._s
            if action == "expire":  # handled, whatever the outcome (mirrors the script)
                s.expiries.pop(item_id, None)
            it = s.items.get(item_id)
            if it is None:
                return {"ok": False, "code": "unknown_item", "item_id": item_id}
            res: dict[str, Any] = {"ok": True, "code": action, "item_id": item_id}
            if it.a:
                res["agent_id"] = it.a
            if it.st in ("closed", "cancelled"):
                res["ok"], res["code"] = False, f"item_{it.st}"
                return res
            if action == "complete":
                if it.st != "assigned":
                    res["ok"], res["code"] = False, "not_assigned"
                    return res
                it.st = "completed"
                if wrap_up == "none":
                    res["released"] = self._release_item(it, now)
                elif wrap_up == "seconds" and release_at is not None:
                    if release_at <= now:
                        res["released"] = self._release_item(it, now)
                    else:
                        s.wrapup_due[item_id] = release_at
                it.v += 1
                res["version"] = it.v
                return res
            if action == "release":
                at = s.wrapup_due.get(item_id)
                if it.st != "completed" or at is None:
                    res["ok"], res["code"] = False, "nothing_to_release"
                    return res
                if at > now:
                    res["ok"], res["code"] = False, "not_due"
                    raise _Done(res, record=False)
                del s.wrapup_due[item_id]
                res["released"] = self._release_item(it, now)
                it.v += 1
                res["version"] = it.v
                return res
            if action == "expire" and it.st in ("assigned", "completed"):
                res["ok"], res["code"] = False, "held_by_agent"
                return res
            if it.st in ("queued", "manual"):
                self._unqueue(it)
            freed = False
            if it.st == "offered" and it.o and s.offers[it.o].st == "pending":
                freed = it.h
                self._close_offer(it.o, "revoked", now)
                res["revoked"] = [it.o]
            res["released"] = self._release_item(it, now) or freed
            s.wrapup_due.pop(item_id, None)
            s.expiries.pop(item_id, None)
            it.st = "cancelled" if action in ("cancel", "expire") else "closed"
            it.v += 1
            res["version"] = it.v
            return res

        return self._run(event_id, now, outputs, body)

    async def complete(
        self,
        event_id: str,
        item_id: str,
        *,
        now: float,
        wrap_up: WrapUpMode = "until_closed",
        release_at: float | None = None,
        outputs: Sequence[str] | None = (),
    ) -> Outcome:
        if wrap_up == "seconds" and release_at is None:
            raise ValueError("wrap_up='seconds' needs release_at")
        return self._finish("complete", event_id, item_id, now, outputs, wrap_up, release_at)

    async def release_wrap_up(
        self, event_id: str, item_id: str, *, now: float, outputs: Sequence[str] | None = ()
    ) -> Outcome:
        return self._finish("release", event_id, item_id, now, outputs)

    async def close(
        self, event_id: str, item_id: str, *, now: float, outputs: Sequence[str] | None = ()
    ) -> Outcome:
        return self._finish("close", event_id, item_id, now, outputs)

    async def cancel(
        self, event_id: str, item_id: str, *, now: float, outputs: Sequence[str] | None = ()
    ) -> Outcome:
        return self._finish("cancel", event_id, item_id, now, outputs)

    async def expire_item(
        self, event_id: str, item_id: str, *, now: float, outputs: Sequence[str] | None = ()
    ) -> Outcome:
        return self._finish("expire", event_id, item_id, now, outputs)

    async def schedule_expiry(self, item_id: str, at: float) -> None:
        self._s.expiries[item_id] = at

    # -- reads ------------------------------------------------------------------------------

    def _agent_view(self, a: _Agent) -> AgentState:
        return codec.overlay_agent(a.snap, a.uu, a.pu, a.la, a.rel)

    def _item_view(self, item_id: str, it: _Item) -> WorkItem:
        return codec.with_declines(it.snap, self._s.declines.get(item_id, {}))

    async def top_items(self, queue: str, limit: int, offset: int = 0) -> list[QueuedItem]:
        out = []
        start = max(offset, 0)
        for member in self._s.queue_items.get(queue, [])[start : start + max(limit, 0)]:
            item_id = item_of(member)
            it = self._s.items[item_id]
            out.append(QueuedItem(item=self._item_view(item_id, it), version=it.v, member=member))
        return out

    async def reorder(self, queue: str,
                      moves: Sequence[tuple[str, int, int, Sequence[float]]]) -> int:
        moved = 0
        for item_id, version, bucket, order_key in moves:
            it = self._s.items.get(item_id)
            member = encode_member(bucket, order_key, item_id)
            if it is None or it.st != "queued" or it.v != version or it.q != queue:
                continue
            if it.m == member:
                continue
            self._zrem(queue, it.m)
            self._zadd(queue, member)
            it.m = member
            moved += 1
        return moved

    async def candidate_agents(self, queue: str, limit: int) -> list[AgentState]:
        ready = self._s.ready.get(queue, {})
        order = sorted(ready.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)
        return [self._agent_view(self._s.agents[aid]) for aid, _ in order[: max(limit, 0)]]

    async def due_offers(self, now: float, limit: int) -> list[DueOffer]:
        due = sorted((dl, oid) for oid, dl in self._s.offers_due.items() if dl <= now)
        out = []
        for dl, oid in due[: max(limit, 0)]:
            o = self._s.offers[oid]
            out.append(DueOffer(offer_id=oid, item_id=o.item, agent_id=o.agent, deadline=dl))
        return out

    async def due_wrap_ups(self, now: float, limit: int) -> list[str]:
        return _due_ids(self._s.wrapup_due, now, limit)

    async def due_expiries(self, now: float, limit: int) -> list[str]:
        return _due_ids(self._s.expiries, now, limit)

    async def queue_depth(self, queue: str) -> int:
        return len(self._s.queue_items.get(queue, []))

    async def get_item(self, item_id: str) -> ItemRecord | None:
        it = self._s.items.get(item_id)
        if it is None:
            return None
        return ItemRecord(
            item=self._item_view(item_id, it),
            state=it.st,
            version=it.v,
            queue=it.q or None,
            member=it.m or None,
            offer_id=it.o or None,
            agent_id=it.a or None,
            held=it.h,
            units=it.u,
            profiles=it.pf,
        )

    async def get_agent(self, agent_id: str) -> AgentState | None:
        a = self._s.agents.get(agent_id)
        return None if a is None else self._agent_view(a)

    async def requeue(
        self,
        event_id: str,
        item_id: str,
        *,
        queue: str,
        bucket: int,
        order_key: Sequence[float],
        limit: int,
        now: float,
        outputs: Sequence[str] | None = (),
    ) -> Outcome:
        def body() -> dict[str, Any]:
            it = self._s.items.get(item_id)
            if it is None or it.st != "assigned":
                return {"ok": False, "code": "not_assigned", "item_id": item_id}
            count = it.rq + 1
            if count > limit:
                return {"ok": False, "code": "requeue_limit", "item_id": item_id,
                        "agent_id": it.a, "requeues": count - 1}
            agent_id, offer_id = it.a, it.o
            if offer_id and offer_id in self._s.offers:
                self._s.offers[offer_id].st = "requeued"
            self._release_item(it, now)
            it.q, it.m, it.rq = queue, encode_member(bucket, order_key, item_id), count
            version = self._requeue(it, "queued")
            return {"ok": True, "code": "requeued", "item_id": item_id, "agent_id": agent_id,
                    "offer_id": offer_id, "version": version, "released": True,
                    "requeues": count}

        return self._run(event_id, now, outputs, body)

    async def fill_outbox(self, seq: int, outputs: Sequence[str]) -> None:
        if seq in self._s.outbox and self._s.outbox[seq] is None:
            self._s.outbox[seq] = list(outputs)

    def drain_outbox(self) -> list[str]:
        """Takes the outputs of the filled slots in order, up to the first reserved one:
        what the relay would publish. Nothing else empties the in-memory outbox, so a
        long simulation calls this to keep its memory flat."""
        s = self._s
        taken: list[str] = []
        for seq in sorted(s.outbox):
            entries = s.outbox[seq]
            if entries is None:
                break
            taken.extend(entries)
            del s.outbox[seq]
        return taken

    async def recorded(self, event_id: str) -> Outcome | None:
        outcome = self._s.results.get(event_id)
        return None if outcome is None else structs.replace(outcome, duplicate=True)

    async def get_offer(self, offer_id: str) -> OfferRecord | None:
        o = self._s.offers.get(offer_id)
        if o is None:
            return None
        return OfferRecord(
            offer_id=offer_id,
            item_id=o.item,
            agent_id=o.agent,
            queue=o.queue,
            state=o.st,
            item_version=o.v,
            units=o.u,
            profiles=o.pf,
            deadline=o.dl,
            created_at=o.at,
        )


def _due_ids(due_at: dict[str, float], now: float, limit: int) -> list[str]:
    """The ids due by `now`, earliest first (ties by id), at most `limit`."""
    due = sorted((at, key) for key, at in due_at.items() if at <= now)
    return [key for _, key in due[: max(limit, 0)]]
