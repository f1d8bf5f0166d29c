"""Offered items per queue, read in chunks from a real Redis."""

from __future__ import annotations

import asyncio
import uuid

import redis.asyncio as aioredis

from router.observability import state_reads
from router.state import keys
from tests.integration.stack import Stack


def test_offered_items_are_counted_once_per_item_across_chunks(stack: Stack) -> None:
    tenant = f"t-{uuid.uuid4().hex[:8]}"

    async def scenario() -> None:
        client = aioredis.Redis.from_url(stack.redis_url)
        try:
            pipe = client.pipeline(transaction=False)
            for n in range(5):  # 5 offers, 2 of them parallel offers of one item
                item = "shared" if n < 2 else f"i{n}"
                pipe.hset(keys.offer(tenant, f"o{n}"), mapping={"queue": "q1", "item": item})
                pipe.zadd(keys.offers_due(tenant), {f"o{n}": n})
            for n in range(5, 12):
                pipe.hset(keys.offer(tenant, f"o{n}"), mapping={"queue": "q2", "item": f"i{n}"})
                pipe.zadd(keys.offers_due(tenant), {f"o{n}": n})
            pipe.zadd(keys.offers_due(tenant), {"gone": 99})  # its hash expired: skipped
            await pipe.execute()
            original = state_reads.OFFERED_CHUNK
            state_reads.OFFERED_CHUNK = 3
            try:
                counted = await state_reads.read_offered(client, tenant)
                capped = await state_reads.read_offered(client, tenant, limit=4)
            finally:
                state_reads.OFFERED_CHUNK = original
            assert counted == {"q1": 4, "q2": 7}
            assert capped == {"q1": 3}
            assert await state_reads.read_offered(client, f"{tenant}-none") == {}
        finally:
            async for key in client.scan_iter(match=f"{keys.prefix(tenant)}*"):
                await client.delete(key)
            await client.aclose()

    asyncio.run(scenario())
