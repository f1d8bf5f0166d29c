"""Items that look for an agent at the same moment share one read and spread over the
agents as one-at-a-time cycles would, instead of all wanting the same best agent."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from router.client import Events
from router.config.load import load_config
from router.contract.outputs import OfferIssued
from router.service.handlers import RoutingService
from router.service.tenancy import tenants_of
from router.state.memory_store import MemoryBackend

ATTRIBUTES = {"language": "en", "topic": "delivery", "vip": False, "product": "router-pro"}


def test_concurrent_items_of_a_queue_are_decided_on_one_read_without_conflicts() -> None:
    async def scenario() -> None:
        config = load_config(None)
        backend = MemoryBackend()
        tenants = tenants_of(config, {t.id: backend.tenant(t.id) for t in config.tenants},
                             "1-test")
        ctx = tenants["acme"]
        store: Any = ctx.store
        reads, conflicts = 0, 0
        real_read, real_commit = store.candidate_agents, store.commit_offer

        async def counted_read(*args: Any, **kwargs: Any) -> Any:
            nonlocal reads
            reads += 1
            return await real_read(*args, **kwargs)

        async def counted_commit(*args: Any, **kwargs: Any) -> Any:
            nonlocal conflicts
            outcome = await real_commit(*args, **kwargs)
            conflicts += outcome.conflict
            return outcome

        store.candidate_agents, store.commit_offer = counted_read, counted_commit
        service = RoutingService(tenants, clock=lambda: 1_750_000_000.0)
        events = Events(tenant="acme", source="test")
        for n in range(5):  # room for 3 chats each (profile limit), 15 in all
            await service.handle(events.register_agent(
                f"agent-{n}", units=100, skills={"en": 5}, attributes={"language": "en"},
                queues=["general"], presence="available"))
        reads = 0

        created = [events.create_item(f"item-{n}", "chat", attributes=ATTRIBUTES)
                   for n in range(10)]
        results = await asyncio.gather(*(service.handle(event) for event in created))

        offers = [e for out in results for e in out if isinstance(e, OfferIssued)]
        assert sorted(o.subject for o in offers) == sorted(f"item-{n}" for n in range(10))
        per_agent = Counter(o.data.agent_id for o in offers)
        assert max(per_agent.values()) <= 3 and len(per_agent) >= 4
        assert reads == 1  # one read of the queue's agents for all ten decisions
        assert conflicts == 0

        # Five more than there is room for: the last ones find nobody, none conflicts.
        more = [events.create_item(f"late-{n}", "chat", attributes=ATTRIBUTES)
                for n in range(8)]
        results = await asyncio.gather(*(service.handle(event) for event in more))
        late = [e for out in results for e in out if isinstance(e, OfferIssued)]
        assert [o.subject for o in late] == [f"late-{n}" for n in range(5)]
        assert conflicts == 0

    asyncio.run(scenario())
