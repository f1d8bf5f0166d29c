"""Random but realistic event sequences for replay tests.

A sequence is generated against a reference in-memory store, so it only holds events a
router would really emit or receive: commits use the version the reference just read
(conflicting commits are dropped, as a worker would re-decide), expiries come once due,
and some events are delivered twice. Replaying a sequence must give the same outcomes
and the same state on any store.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from router.core.types import AgentState, WorkItem
from router.state import MemoryBackend, OfferCommit, Outcome, Store

QUEUES = ("q1", "q2")


@dataclass(frozen=True)
class Op:
    kind: str
    event_id: str
    now: float
    args: tuple[Any, ...] = ()
    kwargs: tuple[tuple[str, Any], ...] = ()


async def apply(store: Store, op: Op) -> Outcome:
    kw = dict(op.kwargs)
    method = getattr(store, op.kind)
    outcome: Outcome = await method(op.event_id, *op.args, now=op.now, **kw)
    return outcome


async def generate(seed: int, steps: int) -> list[Op]:
    rng = random.Random(seed)
    ref = MemoryBackend().tenant("reference")
    ops: list[Op] = []
    now = 1_700_000_000.0
    items: list[str] = []
    agents: list[str] = []
    pending: list[tuple[str, float]] = []
    assigned: list[str] = []
    counter = 0

    async def emit(op: Op) -> Outcome:
        outcome = await apply(ref, op)
        if not outcome.conflict and outcome.code != "not_due":
            ops.append(op)
        return outcome

    for _ in range(steps):
        counter += 1
        now += rng.choice((0.0, 0.5, 1.0, 7.0, 30.0))
        eid = f"e{counter}"
        roll = rng.random()
        if roll < 0.05 and ops:
            ops.append(rng.choice(ops))  # a redelivery
            continue
        if roll < 0.30 or not items:
            item_id = rng.choice(items) if items and rng.random() < 0.3 else f"i{counter}"
            if pending and rng.random() < 0.15:  # an item on offer, for C5's moves
                offered = await ref.get_offer(rng.choice(pending)[0])
                item_id = offered.item_id if offered is not None else item_id
            if item_id not in items:
                items.append(item_id)
            wi = WorkItem(id=item_id, created_at=now, priority=float(rng.randint(0, 3)),
                          attributes={"n": counter})
            queue = rng.choice((*QUEUES, None))
            kw = (("queue", queue), ("bucket", rng.randint(-1, 2)),
                  ("order_key", (-(wi.priority or 0.0), now)))
            if rng.random() < 0.6:  # an update, naming the offer it moves the item from
                kw += (("revoking", await _offer_left(ref, item_id, queue)),)
            out = await emit(Op("upsert_item", eid, now, (wi,), kw))
            pending = [(o, d) for o, d in pending if o not in out.revoked]
        elif roll < 0.42 or not agents:
            agent_id = rng.choice(agents) if agents and rng.random() < 0.5 else f"a{counter}"
            if agent_id not in agents:
                agents.append(agent_id)
            ag = AgentState(
                id=agent_id,
                presence=rng.choice(("available", "available", "busy", "offline")),
                total_units=rng.randint(0, 3),
                profile_limits={"chat": rng.randint(1, 2)} if rng.random() < 0.5 else {},
                queues=tuple(q for q in QUEUES if rng.random() < 0.7),
                skills={"s": rng.randint(1, 5)},
            )
            out = await emit(Op("upsert_agent", eid, now, (ag,)))
            pending = [(o, d) for o, d in pending if o not in out.revoked]
        elif roll < 0.62:
            queue = rng.choice(QUEUES)
            top = await ref.top_items(queue, 3)
            cands = await ref.candidate_agents(queue, 5)
            if not top or not cands:
                continue
            chosen, who = rng.choice(top), rng.choice(cands)
            direct = rng.random() < 0.15
            deadline = None if direct else now + rng.choice((5.0, 20.0, 60.0))
            profiles = ("chat",) if rng.random() < 0.4 else ()
            oc = OfferCommit(
                offer_id=f"o{counter}", item_id=chosen.item.id, agent_id=who.id, queue=queue,
                item_version=chosen.version, units=rng.randint(0, 1), profiles=profiles,
                profile_defaults={"chat": 1}, deadline=deadline)
            out = await emit(Op("commit_offer", eid, now, (oc,)))
            if out.ok and deadline is not None:
                pending.append((oc.offer_id, deadline))
            elif out.ok:
                assigned.append(oc.item_id)
        elif roll < 0.80 and pending:
            offer_id, deadline = rng.choice(pending)
            kind = rng.choice(("accept", "decline", "revoke", "expire"))
            if kind == "expire":
                now = max(now, deadline)
            kw: tuple[tuple[str, Any], ...] = ()
            if kind in ("decline", "expire"):
                kw = (("decline_limit", 2), ("max_distinct_declines", 3))
            out = await emit(Op(kind, eid, now, (offer_id,), kw))
            pending.remove((offer_id, deadline))
            if kind == "accept" and out.ok and out.item_id:
                assigned.append(out.item_id)
        elif roll < 0.90 and assigned:
            item_id = rng.choice(assigned)
            mode = rng.choice(("until_closed", "none", "seconds"))
            release_at = now + 10.0 if mode == "seconds" else None
            await emit(Op("complete", eid, now, (item_id,),
                          (("wrap_up", mode), ("release_at", release_at))))
            assigned.remove(item_id)
        elif roll < 0.94:
            for n, item_id in enumerate(await ref.due_wrap_ups(now, 5)):
                await emit(Op("release_wrap_up", f"{eid}.{n}", now, (item_id,)))
        elif items:
            item_id = rng.choice(items)
            await emit(Op(rng.choice(("close", "cancel")), eid, now, (item_id,)))
            pending = [(o, d) for o, d in pending
                       if (await ref.get_offer(o)) is not None
                       and (await ref.get_offer(o)).state == "pending"]  # type: ignore[union-attr]
    return ops


async def _offer_left(store: Store, item_id: str, queue: str | None) -> str:
    """The offer an update of the item to `queue` revokes, as the router finds it."""
    record = await store.get_item(item_id)
    if record is None or record.state != "offered" or not record.offer_id:
        return ""
    offer = await store.get_offer(record.offer_id)
    if offer is None or offer.state != "pending" or offer.queue == (queue or ""):
        return ""
    return offer.offer_id


async def dump(store: Store, ops: list[Op]) -> dict[str, Any]:
    """Everything readable through the port about the ids the sequence mentions."""
    item_ids, agent_ids, offer_ids = set(), set(), set()
    for op in ops:
        if op.kind == "upsert_item":
            item_ids.add(op.args[0].id)
        elif op.kind == "upsert_agent":
            agent_ids.add(op.args[0].id)
        elif op.kind == "commit_offer":
            offer_ids.add(op.args[0].offer_id)
    far = 4_000_000_000.0
    return {
        "items": {i: await store.get_item(i) for i in sorted(item_ids)},
        "agents": {a: await store.get_agent(a) for a in sorted(agent_ids)},
        "offers": {o: await store.get_offer(o) for o in sorted(offer_ids)},
        "queues": {q: await store.top_items(q, 100_000) for q in QUEUES},
        "ready": {q: [a.id for a in await store.candidate_agents(q, 100_000)] for q in QUEUES},
        "due_offers": await store.due_offers(far, 100_000),
        "due_wrap_ups": await store.due_wrap_ups(far, 100_000),
    }


async def replay(store: Store, ops: list[Op]) -> list[Outcome]:
    return [await apply(store, op) for op in ops]
