"""Redis's cost per item of admitting new items as a worker under load does.

How many Redis commands, and how many microseconds of Redis's own time, one admission
takes.

Why a benchmark of its own: in the end-to-end benchmark admit_items.lua takes most of
Redis's time, and Redis about a third of the CPU an item costs, but there a change to the
script is lost among everything else that moves. Here the command count is exact, and
the time is the script's alone. The time still moves by about 15% between runs on a
shared machine: judge a change by several runs alternated with the old script's.

Starts its own throwaway redis-server on a free loopback port, registers agents that are
members of several queues (as `router bench` does), then admits items concurrently, as
many at a time as one admit_items call takes, each with outputs of realistic size. Prints
commands per item, the script's time per item (INFO commandstats) and the Redis
process's CPU per item (/proc: replies and the append-only file included).

    .venv/bin/python -m benchmarks.admit_items [--items 20000] [--agents 50] [--queues 8]
                                               [--aof]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis

from benchmarks.state_commit import redis_server
from router.core.types import AgentState, WorkItem
from router.state import OfferCommit, RedisBackend
from router.state.redis_store import ADMIT_BATCH_MAX

NOW = 1_700_000_000.0
QUEUED_OUTPUTS = ("x" * 330, "x" * 260)
"""Sizes of a `work_item.classified` and a `work_item.queued` event as the router
encodes them."""
OFFER_OUTPUTS = ("x" * 900,)
"""Size of an `offer.issued` event with its explanation."""


def process_cpu_s(pid: int) -> float:
    """User and system CPU seconds a process has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def admit_all(backend: RedisBackend, items: int, agents: int,
                    queues: list[str]) -> None:
    store = backend.tenant("bench")
    for n in range(agents):
        agent = AgentState(id=f"agent-{n:03d}", presence="available",
                           total_units=1_000_000_000, queues=tuple(queues),
                           profile_limits={"chat": 1_000_000, "call": 1, "case": 5},
                           skills={"en": 5, "fr": 5}, attributes={"language": "en"})
        await store.upsert_agent(f"register-{n}", agent, now=NOW)

    async def admit(n: int) -> None:
        now = NOW + n / 1000
        item = WorkItem(id=f"item-{n:07d}", created_at=now, channel="messaging",
                        workstream="chat", queue=queues[0], priority=5,
                        attributes={"language": "en", "topic": "delivery", "n": n})
        upserted, committed = await store.admit_item(
            f"created-{n}", item, queue=queues[0], bucket=0, order_key=(now,), now=now,
            outputs=QUEUED_OUTPUTS, offer_event_id=f"decided-{n}",
            offer=OfferCommit(offer_id=f"offer-{n}", item_id=item.id,
                              agent_id=f"agent-{n % agents:03d}", queue=queues[0],
                              item_version=1, units=30, profiles=("chat",),
                              profile_defaults={"chat": 3}, deadline=now + 3600),
            offer_outputs=OFFER_OUTPUTS)
        if not (upserted.ok and committed is not None and committed.ok):
            raise RuntimeError(f"item {n} was not admitted: {upserted}, {committed}")

    client = backend.client
    assert isinstance(client, aioredis.Redis)
    await client.config_resetstat()
    server = int((await client.info("server"))["process_id"])
    cpu_before = process_cpu_s(server)
    began = time.perf_counter()
    for start in range(0, items, ADMIT_BATCH_MAX):
        await asyncio.gather(*(admit(n) for n in range(start, min(items, start + ADMIT_BATCH_MAX))))
        if start // ADMIT_BATCH_MAX % 50 == 0:
            print(f"  {start + ADMIT_BATCH_MAX:,}/{items:,} admitted", flush=True)
    elapsed = time.perf_counter() - began
    cpu = process_cpu_s(server) - cpu_before
    stats: dict[str, Any] = await client.info("commandstats")
    evalsha = stats["cmdstat_evalsha"]
    commands = sum(int(v["calls"]) for k, v in stats.items()
                   if k not in ("cmdstat_evalsha", "cmdstat_info", "cmdstat_config|resetstat"))
    print(f"{items:,} items, {agents} agents in {len(queues)} queues each, "
          f"{ADMIT_BATCH_MAX} admissions a call: {int(evalsha['calls']):,} script calls")
    print(f"  Redis commands per item: {commands / items:.2f}")
    print(f"  Redis µs per item (admit_items.lua): {int(evalsha['usec']) / items:.1f}")
    print(f"  Redis CPU per item (the process: replies, AOF and all): "
          f"{cpu / items * 1e6:.1f} µs")
    print(f"  wall-clock per item: {elapsed / items * 1e6:.1f} µs (client included)")


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20_000, help="items to admit")
    parser.add_argument("--agents", type=int, default=50,
                        help="agents the offers go to, in turn")
    parser.add_argument("--queues", type=int, default=8,
                        help="queues every agent is a member of (each has a ready index)")
    parser.add_argument("--aof", action="store_true",
                        help="with the append-only file of the production configuration "
                             "(its cost shows in Redis CPU, not in the script's time)")
    args = parser.parse_args()
    queues = [f"queue-{n}" for n in range(args.queues)]
    with redis_server(append_only=args.aof) as port:
        backend = RedisBackend(aioredis.Redis(host="127.0.0.1", port=port))

        async def run() -> None:
            try:
                await admit_all(backend, args.items, args.agents, queues)
            finally:
                await backend.aclose()

        asyncio.run(run())


if __name__ == "__main__":
    cli()
