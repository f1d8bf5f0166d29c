"""Invariants 1 and 2 under real contention: 8 writer processes, 50 agents, 10,000 items.

Each process loops: read the queue head and the candidate agents, pick an item and an
agent with its own simple rule, commit; on a conflict it re-reads and re-decides. It
keeps up to 10 offers open and then accepts and closes its oldest, so capacity (1 unit
and 1 ``chat`` per agent, 50 in all, against up to 80 wanted) is contended all the time.
Checked after every commit (from the commit's outcome) and at the end (by scanning):
no agent over capacity, no item offered twice, every item offered or still queued.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import random
import time
import uuid
from collections import Counter
from typing import Any

from router.core.types import AgentState, WorkItem
from router.state import OfferCommit, RedisBackend
from tests.integration.stack import Stack
from tests.unit.state.aio import run

WRITERS = 8
AGENTS = 50
ITEMS = 10_000
NOW = 1_700_000_000.0


async def _setup(url: str, tenant: str) -> None:
    backend = RedisBackend.from_url(url)
    store = backend.tenant(tenant)
    for n in range(AGENTS):
        agent = AgentState(id=f"a{n:02d}", presence="available", total_units=1,
                           profile_limits={"chat": 1}, queues=("q",))
        assert (await store.upsert_agent(f"reg-{n}", agent, now=NOW)).ok
    for start in range(0, ITEMS, 50):
        await asyncio.gather(*(
            store.upsert_item(f"new-{n}", WorkItem(id=f"i{n:05d}", created_at=NOW + n),
                              queue="q", bucket=0, order_key=(NOW + n,), now=NOW + n)
            for n in range(start, min(start + 50, ITEMS))))
    await backend.aclose()


async def _writer(url: str, tenant: str, wid: int) -> dict[str, Any]:
    rng = random.Random(wid)
    backend = RedisBackend.from_url(url)
    store = backend.tenant(tenant)
    committed: list[str] = []
    conflicts: Counter[str] = Counter()
    violations: list[str] = []
    open_offers: list[str] = []
    attempts = n = 0
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline:
        top = await store.top_items("q", 16)
        if not top:
            break
        agents = [a for a in await store.candidate_agents("q", 25) if a.available_units >= 1]
        if not agents:
            if not open_offers:
                await asyncio.sleep(0.005)  # others hold all capacity
                continue
        else:
            # the writer's rule: an item near the head, an agent among the freest
            chosen = top[min(int(rng.expovariate(0.5)), len(top) - 1)]
            agent = rng.choice(agents[:5])
            n += 1
            attempts += 1
            offer_id = f"o-{wid}-{n}"
            out = await store.commit_offer(
                f"commit-{wid}-{n}",
                OfferCommit(offer_id=offer_id, item_id=chosen.item.id, agent_id=agent.id,
                            queue="q", item_version=chosen.version, units=1,
                            profiles=("chat",), deadline=NOW + 60),
                now=NOW + 1)
            if out.ok:
                committed.append(chosen.item.id)
                open_offers.append(offer_id)
                if (out.units_used or 0) > (out.units_total or 0) or any(
                        used > out.profile_limits[p] for p, used in out.profile_used.items()):
                    violations.append(f"over capacity: {out}")
            else:
                conflicts[out.code] += 1
        if len(open_offers) >= 10 or (open_offers and not agents):
            oldest = open_offers.pop(0)
            accepted = await store.accept(f"acc-{oldest}", oldest, now=NOW + 2)
            assert accepted.ok and accepted.item_id
            closed = await store.close(f"close-{oldest}", accepted.item_id, now=NOW + 3)
            assert closed.ok and closed.released
    await backend.aclose()
    return {"committed": committed, "conflicts": dict(conflicts), "attempts": attempts,
            "violations": violations}


def _writer_process(args: tuple[str, str, int]) -> dict[str, Any]:
    return asyncio.run(_writer(*args))


async def _scan(url: str, tenant: str) -> tuple[dict[str, Any], dict[str, int], list[str]]:
    backend = RedisBackend.from_url(url)
    store = backend.tenant(tenant)
    states: dict[str, Any] = {}
    held: Counter[str] = Counter()
    for n in range(ITEMS):
        record = await store.get_item(f"i{n:05d}")
        assert record is not None
        states[record.item.id] = record.state
        if record.held and record.agent_id:
            held[record.agent_id] += 1
    problems = []
    for n in range(AGENTS):
        agent = await store.get_agent(f"a{n:02d}")
        assert agent is not None
        used_chat = agent.profile_used.get("chat", 0)
        if not (0 <= agent.used_units <= agent.total_units and 0 <= used_chat <= 1):
            problems.append(f"{agent.id}: {agent.used_units}/{agent.total_units} {used_chat}")
        if agent.used_units != held[agent.id]:
            problems.append(f"{agent.id}: used {agent.used_units} but holds {held[agent.id]}")
    queued = [q.item.id for q in await store.top_items("q", ITEMS)]
    await backend.aclose()
    return states, dict(held), problems + [f"queued twice: {queued}"] * (
        len(queued) != len(set(queued)))


def test_writers_in_eight_processes_never_overcommit(stack: Stack) -> None:
    tenant = f"conc-{uuid.uuid4().hex[:8]}"
    run(_setup(stack.redis_url, tenant))
    began = time.monotonic()
    with multiprocessing.get_context("fork").Pool(WRITERS) as pool:
        results = pool.map(_writer_process,
                           [(stack.redis_url, tenant, w) for w in range(WRITERS)])
    elapsed = time.monotonic() - began
    committed = [i for r in results for i in r["committed"]]
    conflicts: Counter[str] = Counter()
    for r in results:
        conflicts.update(r["conflicts"])
    attempts = sum(r["attempts"] for r in results)
    print(f"\n{WRITERS} writers: {len(committed)} commits of {attempts} attempts in "
          f"{elapsed:.1f}s; conflict rate {sum(conflicts.values()) / attempts:.1%} "
          f"{dict(conflicts)}")
    assert [v for r in results for v in r["violations"]] == []
    assert len(committed) == len(set(committed)), "an item was offered twice"
    states, _held, problems = run(_scan(stack.redis_url, tenant))
    assert problems == []
    offered = {i for i, s in states.items() if s in ("offered", "assigned", "closed")}
    queued = {i for i, s in states.items() if s == "queued"}
    assert offered == set(committed)
    assert offered | queued == set(states) and not offered & queued
    assert len(committed) == ITEMS  # the writers ran until the queue was empty
