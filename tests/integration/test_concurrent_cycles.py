"""On real Redis, where a worker's concurrent cycles really interleave: items that look
for an agent together spread over the agents, and agents freed together spread over the
items, with no commit conflict, as one-at-a-time cycles would (before, they all chose
the same agent, or the same head item, and retried until they gave up)."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import yaml

from router.client import Events
from router.config.load import load_config, sample_config_text
from router.contract.outputs import OfferIssued
from router.service.handlers import RoutingService
from router.service.tenancy import tenants_of
from router.state.redis_store import RedisBackend
from tests.integration.stack import Stack

ATTRIBUTES = {"language": "en", "topic": "delivery", "vip": False, "product": "router-pro"}


def _config(tenant: str, tmp_path: Any) -> Any:
    data = yaml.safe_load(sample_config_text())
    data["tenants"][0]["id"] = tenant
    path = tmp_path / "routing.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return load_config(path)


def _run(stack: Stack, tmp_path: Any,
         body: Callable[[RoutingService, Events], Awaitable[None]]) -> Counter[str]:
    """Runs `body` against the routing service on Redis, for a tenant of its own; the
    commits that conflicted, by code."""
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    conflicts: Counter[str] = Counter()

    async def scenario() -> None:
        backend = RedisBackend.from_url(stack.redis_url)
        try:
            tenants = tenants_of(_config(tenant, tmp_path),
                                 {tenant: backend.tenant(tenant)}, "1-test")
            store: Any = tenants[tenant].store
            real_commit = store.commit_offer

            async def counted_commit(*args: Any, **kwargs: Any) -> Any:
                outcome = await real_commit(*args, **kwargs)
                if outcome.conflict:
                    conflicts[outcome.code] += 1
                return outcome

            await backend.load_scripts()  # first calls would each load them, out of step
            store.commit_offer = counted_commit
            await body(RoutingService(tenants), Events(tenant=tenant, source="test"))
        finally:
            await backend.aclose()

    asyncio.run(scenario())
    return conflicts


def test_concurrent_items_spread_over_agents_without_conflicts(stack: Stack, tmp_path: Any
                                                               ) -> None:
    async def body(service: RoutingService, events: Events) -> None:
        for n in range(10):  # room for 3 chats each: 30 in all
            await service.handle(events.register_agent(
                f"agent-{n}", units=100, skills={"en": 5}, attributes={"language": "en"},
                queues=["general"], presence="available"))
        created = [events.create_item(f"item-{n}", "chat", attributes=ATTRIBUTES)
                   for n in range(40)]
        results = await asyncio.gather(*(service.handle(e) for e in created))
        offers = [e for out in results for e in out if isinstance(e, OfferIssued)]
        per_agent = Counter(o.data.agent_id for o in offers)
        assert len(offers) == 30 and len(per_agent) == 10
        assert max(per_agent.values()) == 3

    assert _run(stack, tmp_path, body) == Counter()


def test_agents_freed_together_take_different_items_without_conflicts(
    stack: Stack, tmp_path: Any,
) -> None:
    async def body(service: RoutingService, events: Events) -> None:
        for n in range(30):  # nobody available: every item waits
            await service.handle(events.create_item(f"item-{n:02d}", "chat",
                                                    attributes=ATTRIBUTES))
        for n in range(20):
            await service.handle(events.register_agent(
                f"agent-{n}", units=30, skills={"en": 5}, attributes={"language": "en"},
                queues=["general"], presence="away"))
        back = [events.set_presence(f"agent-{n}", "available") for n in range(20)]
        results = await asyncio.gather(*(service.handle(e) for e in back))
        offers = [e for out in results for e in out if isinstance(e, OfferIssued)]
        assert len(offers) == 20  # room for one chat each
        assert len({o.subject for o in offers}) == 20
        assert len({o.data.agent_id for o in offers}) == 20

    assert _run(stack, tmp_path, body) == Counter()
