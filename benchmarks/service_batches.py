"""The routing service's own cost per item by batch size: no Kafka, no Faust, no relay.

Why: in `router bench` the worker's CPU per item is about three times higher at 1,000
items/s than as fast as possible, and about fifteen times higher at 100/s, because its
input batches shrink to a few items and then to one. This separates what the router's
own code (decode, decision, the commit scripts in Redis) costs per item at each batch
size from what the stream around it (consumer thread, acknowledgements, outbox relay,
producer) adds: the worker's figure at a rate minus this one at the batch size that rate
gives is the plumbing's.

Starts its own throwaway redis-server on a free loopback port; for each batch size,
from an empty Redis: the bundled sample configuration, agents registered as `router
bench` registers them (room for everything, in every queue), a warm-up, then the items
(the bench's `work_item.created` bytes) decoded and handled as the worker handles a
batch: every item its own key, all of the batch at once. Prints this process's CPU,
Redis's CPU and wall-clock time per item for each size.

    .venv/bin/python -m benchmarks.service_batches [--items 2000] [--batches 1,5,20,100,500]
"""

from __future__ import annotations

import argparse
import asyncio
import time

import redis
import redis.asyncio as aioredis

from benchmarks.state_commit import redis_server
from router.bench.cpu import redis_cpu_s
from router.bench.routed import register_bench_agent
from router.bench.traffic import item_payload
from router.client import Events
from router.config.load import load_config
from router.contract.codec import decode
from router.service.handlers import RoutingService
from router.service.tenancy import tenants_of
from router.state import RedisBackend

AGENTS = 50
WARM_UP_ITEMS = 200


async def per_item(port: int, batch: int, items: int) -> tuple[float, float, float]:
    """(this process's CPU, Redis's CPU, wall-clock) per item, in µs."""
    client = aioredis.Redis(host="127.0.0.1", port=port)
    cpu_client = redis.Redis(host="127.0.0.1", port=port)
    await client.flushall()
    backend = RedisBackend(client)
    config = load_config(None)
    tenant = config.tenants[0]
    service = RoutingService(tenants_of(config, {tenant.id: backend.tenant(tenant.id)},
                                        "service-batches"))
    events = Events(tenant=tenant.id, source="benchmarks/service_batches")
    queues = tuple(queue.id for queue in tenant.queues)
    try:
        for n in range(AGENTS):
            await service.handle(register_bench_agent(events, n, queues))
        created = [decode(item_payload(events, f"item-{n:07d}")[1])
                   for n in range(WARM_UP_ITEMS + items)]
        for event in created[:WARM_UP_ITEMS]:
            await service.handle(event)
        measured = created[WARM_UP_ITEMS:]
        cpu, redis_cpu, wall = time.process_time(), redis_cpu_s(cpu_client)[0], time.perf_counter()
        for start in range(0, len(measured), batch):
            await asyncio.gather(*(service.handle(event)
                                   for event in measured[start:start + batch]))
        wall = time.perf_counter() - wall
        redis_cpu = redis_cpu_s(cpu_client)[0] - redis_cpu
        cpu = time.process_time() - cpu
    finally:
        await backend.aclose()
        cpu_client.close()
    return cpu / items * 1e6, redis_cpu / items * 1e6, wall / items * 1e6


def batch_sizes(text: str) -> list[int]:
    sizes = [int(part) for part in text.split(",")]
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: comma-separated sizes of at least 1")
    return sizes


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=2_000,
                        help="items measured per batch size (after a warm-up of 200)")
    parser.add_argument("--batches", type=batch_sizes, default=[1, 5, 20, 100, 500],
                        help="comma-separated batch sizes (default 1,5,20,100,500)")
    args = parser.parse_args()
    with redis_server() as port:
        print(f"{args.items:,} chat items per batch size, {AGENTS} agents; µs per item:")
        print(f"{'batch':>6}  {'service CPU':>11}  {'Redis CPU':>9}  {'wall-clock':>10}")
        for batch in args.batches:
            service, redis_cpu, wall = asyncio.run(per_item(port, batch, args.items))
            print(f"{batch:>6}  {service:>11.0f}  {redis_cpu:>9.0f}  {wall:>10.0f}",
                  flush=True)


if __name__ == "__main__":
    cli()
