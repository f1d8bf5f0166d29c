"""Cost of a snapshot read + commit at 1,000 and at 1,000,000 queued items in one queue.

Starts its own throwaway redis-server on a free loopback port (no persistence), fills
one queue with pipelined bulk inserts, then times assignment cycles: read the top block
(100 items) and the candidate agents (50), commit an offer for the head item; the item
is then declined (not timed) so the depth stays constant. Prints the per-cycle cost at
both depths, their ratio (target <= 2) and Redis memory per queued item (INFO memory
delta / items; target <= 1 KiB), with and without the idempotency records.

    .venv/bin/python benchmarks/state_commit.py [--big 1000000] [--cycles 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import redis.asyncio as aioredis

from router.core.types import AgentState, WorkItem
from router.state import OfferCommit, RedisBackend, keys

REDIS_CONF = Path(__file__).resolve().parents[1] / "deploy" / "redis" / "redis.conf"

NOW = 1_700_000_000.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def used_memory(client: aioredis.Redis) -> int:
    info = await client.info("memory")
    return int(info["used_memory"])


async def measure(backend: RedisBackend, depth: int, cycles: int) -> dict[str, float]:
    tenant = f"bench{depth}"
    store = backend.tenant(tenant)
    client = backend.client
    assert isinstance(client, aioredis.Redis)
    for n in range(50):
        agent = AgentState(id=f"a{n:02d}", presence="available", total_units=1_000_000,
                           queues=("q",), skills={"en": 3}, attributes={"site": "lis"})
        await store.upsert_agent(f"reg{n}", agent, now=NOW)
    await client.execute_command("MEMORY", "PURGE")
    before = await used_memory(client)
    began = time.perf_counter()
    rows = [
        (f"new{n}", WorkItem(id=f"item-{n:07d}", created_at=NOW + n / 1000,
                             channel="messaging", workstream="chat", queue="q",
                             attributes={"lang": "en", "segment": "gold", "n": n}),
         "q", 1, (NOW + n / 1000,), NOW + n / 1000)
        for n in range(depth)
    ]
    await store.upsert_items_pipelined(rows)
    fill = time.perf_counter() - began
    del rows
    await client.execute_command("MEMORY", "PURGE")
    after = await used_memory(client)
    idem = 0
    for key in (keys.seen_events(tenant), keys.results(tenant)):
        idem += int(await client.execute_command("MEMORY", "USAGE", key, "SAMPLES", "0"))
    assert await store.queue_depth("q") == depth
    times: list[float] = []
    now = NOW + depth / 1000
    for n in range(cycles):
        now += 1
        t0 = time.perf_counter()
        top = await store.top_items("q", 100)
        agents = await store.candidate_agents("q", 50)
        head = top[0]
        out = await store.commit_offer(
            f"c{n}", OfferCommit(offer_id=f"o{n}", item_id=head.item.id,
                                 agent_id=agents[n % len(agents)].id, queue="q",
                                 item_version=head.version, deadline=now + 60), now=now)
        times.append(time.perf_counter() - t0)
        assert out.ok, out
        await store.decline(f"d{n}", f"o{n}", now=now, max_distinct_declines=10**9)
    return {
        "fill_s": fill,
        "cycle_ms_median": statistics.median(times) * 1000,
        "cycle_ms_mean": statistics.fmean(times) * 1000,
        "bytes_per_item": (after - before) / depth,
        "bytes_per_item_without_idempotency": (after - before - idem) / depth,
    }


async def main(small: int, big: int, cycles: int, port: int) -> None:
    backend = RedisBackend(aioredis.Redis(host="127.0.0.1", port=port))
    results = {}
    for depth in (small, big):
        results[depth] = r = await measure(backend, depth, cycles)
        print(f"{depth:>9,} queued: fill {r['fill_s']:.1f}s, cycle (top 100 + 50 agents + "
              f"commit) median {r['cycle_ms_median']:.3f} ms mean {r['cycle_ms_mean']:.3f} ms,"
              f" memory {r['bytes_per_item']:.0f} B/item "
              f"({r['bytes_per_item_without_idempotency']:.0f} B without idempotency records)")
        await backend.client.flushall()
    ratio = results[big]["cycle_ms_median"] / results[small]["cycle_ms_median"]
    print(f"ratio {big:,} / {small:,} (median cycle): {ratio:.2f}  (target <= 2)")
    print(f"memory per queued item at {big:,}: {results[big]['bytes_per_item']:.0f} B "
          f"(target <= 1024)")
    await backend.aclose()


@contextlib.contextmanager
def redis_server(append_only: bool = False) -> Iterator[int]:
    """A throwaway redis-server on a free loopback port, for the benchmarks in this
    folder: its port, and the server gone (with its directory) afterwards. Without
    persistence unless `append_only` (the AOF of the production configuration)."""
    workdir = tempfile.mkdtemp(prefix="state-bench-")
    port = free_port()
    server = subprocess.Popen(
        # The production configuration (deploy/redis/redis.conf), by default minus
        # persistence, so memory per item is what a deployment would see.
        ["redis-server", str(REDIS_CONF), "--daemonize", "no", "--port", str(port),
         "--bind", "127.0.0.1", "--save", "", "--appendonly",
         "yes" if append_only else "no", "--dir", workdir,
         "--pidfile", os.path.join(workdir, "redis.pid"), "--logfile", ""],
        stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield port
    finally:
        server.terminate()
        server.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--big", type=int, default=1_000_000)
    parser.add_argument("--cycles", type=int, default=2_000)
    args = parser.parse_args()
    with redis_server() as port:
        asyncio.run(main(args.small, args.big, args.cycles, port))


if __name__ == "__main__":
    cli()
