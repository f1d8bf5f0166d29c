"""P4 without events: the periodic sweep re-places items whose priority changed with time."""

from __future__ import annotations

import asyncio

from router.config.load import load_config
from router.core.prioritize import priority_key
from router.core.types import WorkItem
from router.service.cycles import Cycles
from router.service.tenancy import tenants_of
from router.state.memory_store import MemoryBackend

T0 = 1_750_000_000.0


def test_an_item_nearing_its_deadline_moves_up_without_any_event() -> None:
    async def scenario() -> None:
        config = load_config(None)
        backend = MemoryBackend()
        ctx = tenants_of(config, {t.id: backend.tenant(t.id) for t in config.tenants},
                         "1-test")["acme"]
        queue = ctx.queues["escalations"]  # "breaching soon": deadline within an hour
        urgent = WorkItem(id="urgent", created_at=T0, workstream="cases", priority=9)
        later = WorkItem(id="later", created_at=T0, workstream="cases",
                         deadline=T0 + 7_200)
        for n, item in enumerate((urgent, later)):
            bucket, key = priority_key(item, queue, T0)
            await ctx.store.upsert_item(f"e{n}", item, queue=queue.id, bucket=bucket,
                                        order_key=key, now=T0)
        order = [q.item.id for q in await ctx.store.top_items(queue.id, 10)]
        assert order == ["urgent", "later"]  # priority 9 beats a deadline two hours out

        cycles = Cycles(ctx)
        assert await cycles.resort_page(queue, T0 + 60) == 0  # nothing changed yet
        assert await cycles.resort_page(queue, T0 + 3_700) == 1  # now within the hour
        order = [q.item.id for q in await ctx.store.top_items(queue.id, 10)]
        assert order == ["later", "urgent"]
        assert await cycles.resort_page(queue, T0 + 3_700) == 0  # idempotent

    asyncio.run(scenario())
