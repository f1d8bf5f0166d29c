"""The statistics' agent reads go by the tenant's agent list, not by a SCAN of the whole
keyspace, and agents registered before the list existed join it once."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from router.observability import state_reads
from router.state import RedisBackend, keys
from router.state.codec import SEP
from tests.integration.stack import Stack
from tests.unit.state.contract import NOW, agent, enqueue


def _run(stack: Stack, scenario: Callable[[RedisBackend, str], Awaitable[None]]) -> None:
    async def main() -> None:
        backend = RedisBackend.from_url(stack.redis_url)
        tenant = f"t-{uuid.uuid4().hex[:8]}"
        try:
            await scenario(backend, tenant)
        finally:
            vars(backend.client).pop("scan_iter", None)  # see _no_scans
            async for key in backend.client.scan_iter(match=f"{keys.prefix(tenant)}*"):
                await backend.client.delete(key)
            await backend.aclose()

    asyncio.run(main())


def _no_scans(client: Any) -> None:
    """Any SCAN on this client from now on fails the test (until the clean-up)."""
    def refused(*_args: Any, **_kwargs: Any) -> AsyncIterator[bytes]:
        raise AssertionError("the agents were read with a SCAN")

    client.scan_iter = refused


def test_agents_of_a_new_tenant_are_read_without_a_scan(stack: Stack) -> None:
    async def scenario(backend: RedisBackend, tenant: str) -> None:
        store = backend.tenant(tenant)
        await store.upsert_agent("a1", agent("x", queues=("q",)), now=NOW)
        await store.upsert_agent("a2", agent("y", queues=("q", "r"), presence="away"),
                                 now=NOW)
        await store.upsert_agent("a3", agent("z", queues=("r",)), now=NOW)
        await store.upsert_agent("a4", agent("x", queues=("q",), total_units=5), now=NOW)
        for n in range(50):  # items are not agents
            await enqueue(store, f"i{n}")
        _no_scans(backend.client)
        tally = await state_reads.read_agents(backend.client, tenant)
        assert tally.presence == {"available": 2, "away": 1} and not tally.truncated
        assert tally.units_total["q"] == 5 + 2  # x's new capacity, y's
        capped = await state_reads.read_agents(backend.client, tenant, limit=2)
        assert sum(capped.presence.values()) == 2 and capped.truncated
        assert [a.id for a in await state_reads.read_queue_agents(
            backend.client, tenant, "r")] == ["y", "z"]

    _run(stack, scenario)


def test_agents_registered_before_the_list_existed_join_it_once(stack: Stack) -> None:
    async def scenario(backend: RedisBackend, tenant: str) -> None:
        client = backend.client
        # What an earlier version left: agent hashes and the change counter, no list.
        await client.set(keys.agents_cv(tenant), "2")
        for name, queues in (("old1", "q"), ("old2", f"q{SEP}r")):
            await client.hset(keys.agent(tenant, name), mapping={
                "bp": "available", "tu": "2", "uu": "0", "qs": queues, "cv": "1"})
        store = backend.tenant(tenant)
        await store.upsert_agent("a1", agent("new", queues=("q",)), now=NOW)
        assert not await client.exists(keys.agents_listed(tenant))
        first = await state_reads.read_agents(client, tenant)
        assert first.presence == {"available": 3}
        assert await client.exists(keys.agents_listed(tenant))
        assert {m.decode() for m in await client.smembers(keys.agents(tenant))} == {
            "old1", "old2", "new"}
        _no_scans(client)
        await store.upsert_agent("a2", agent("newer", queues=("r",)), now=NOW)
        again = await state_reads.read_agents(client, tenant)
        assert again.presence == {"available": 4}
        assert again.queue_presence["r"] == {"available": 2}

    _run(stack, scenario)


@pytest.mark.parametrize("agents", [0, 1])
def test_a_tenant_with_no_agents_reads_none(stack: Stack, agents: int) -> None:
    async def scenario(backend: RedisBackend, tenant: str) -> None:
        if agents:
            await backend.tenant(tenant).upsert_agent("a1", agent("x"), now=NOW)
        tally = await state_reads.read_agents(backend.client, tenant)
        assert sum(tally.presence.values()) == agents

    _run(stack, scenario)
