"""Offered items per queue on a real Redis: the count the commit scripts keep
(``queue:<q>:offered``) is, after every change, what a walk over every pending offer
finds, whichever way offers start (commit, admission, an item offered again) and
end (accept, decline, expire, revoke, cancel, close, an update moving the item to
another queue, the agent going offline)."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter

import pytest

from router.observability.state_reads import read_offered
from router.state import RedisBackend, keys
from router.state.redis_store import RedisStore
from tests.integration.stack import Stack
from tests.unit.state.contract import NOW, agent, commit, item

QUEUES = ("q1", "q2")
AGENTS = ("a1", "a2", "a3")


async def walked(backend: RedisBackend, tenant: str) -> Counter[str]:
    """The offered items by walking every pending offer: what the statistics did before
    the index, and the definition the index must match."""
    client = backend.client
    items: dict[str, str] = {}
    for oid in await client.zrange(keys.offers_due(tenant), 0, -1):
        queue, item_id = await client.hmget(keys.offer(tenant, oid.decode()), "queue", "item")
        if queue is not None and item_id is not None:
            items.setdefault(f"{queue.decode()}/{item_id.decode()}", queue.decode())
    return Counter(items.values())


class Run:
    """Random routing traffic through the store, with what it left pending."""

    def __init__(self, store: RedisStore, rng: random.Random) -> None:
        self.store = store
        self.rng = rng
        self.n = 0
        self.pending: dict[str, str] = {}  # offer -> item
        self.offline: set[str] = set()

    def next_id(self, kind: str) -> str:
        self.n += 1
        return f"{kind}-{self.n}"

    async def new_offer(self) -> None:
        queue = self.rng.choice(QUEUES)
        item_id, offer_id = self.next_id("i"), self.next_id("o")
        agent_id = self.rng.choice(AGENTS)
        deadline = None if self.rng.random() < 0.2 else NOW + 60  # direct assignments too
        offer = commit(offer_id, item_id, agent_id, 0, queue=queue, deadline=deadline)
        if self.rng.random() < 0.5:  # admitted and offered in one call
            _, committed = await self.store.admit_item(
                self.next_id("e"), item(item_id), queue=queue, bucket=0, order_key=(NOW,),
                now=NOW, outputs=[], offer_event_id=self.next_id("e"), offer=offer,
                offer_outputs=[])
            ok = committed is not None and committed.ok
        else:
            out = await self.store.upsert_item(self.next_id("e"), item(item_id), queue=queue,
                                               bucket=0, order_key=(NOW,), now=NOW)
            assert out.version is not None
            offer = commit(offer_id, item_id, agent_id, out.version, queue=queue,
                           deadline=deadline)
            ok = (await self.store.commit_offer(self.next_id("e"), offer, now=NOW)).ok
        if ok and deadline is not None:
            self.pending[offer_id] = item_id

    async def reoffer(self) -> None:
        """A requeued item offered again: a new pending offer of the same item."""
        queued = await self.store.top_items(self.rng.choice(QUEUES), 10)
        if not queued:
            return
        head = self.rng.choice(queued)
        offer_id = self.next_id("o")
        offer = commit(offer_id, head.item.id, self.rng.choice(AGENTS), head.version,
                       queue=self.rng.choice(QUEUES))  # maybe the wrong queue: refused
        if (await self.store.commit_offer(self.next_id("e"), offer, now=NOW)).ok:
            self.pending[offer_id] = head.item.id

    async def end_offer(self) -> None:
        if not self.pending:
            return
        offer_id = self.rng.choice(sorted(self.pending))
        item_id = self.pending.pop(offer_id)
        action = self.rng.choice(["accept", "decline", "expire", "revoke", "cancel", "close",
                                  "move"])
        event = self.next_id("e")
        store = self.store
        if action == "accept":
            assert (await store.accept(event, offer_id, now=NOW + 1)).ok
        elif action == "decline":
            assert (await store.decline(event, offer_id, now=NOW + 1)).ok
        elif action == "expire":
            assert (await store.expire(event, offer_id, now=NOW + 61)).ok
        elif action == "revoke":
            assert (await store.revoke(event, offer_id, now=NOW + 1)).ok
        elif action == "cancel":
            assert (await store.cancel(event, item_id, now=NOW + 1)).ok
        elif action == "move":  # C5: updated into the other queue (or none)
            offer = await store.get_offer(offer_id)
            assert offer is not None
            target = self.rng.choice([q for q in QUEUES if q != offer.queue] + [None])
            moved = await store.upsert_item(event, item(item_id), queue=target, bucket=0,
                                            order_key=(NOW,), now=NOW + 1,
                                            revoking=offer_id)
            assert moved.revoked == (offer_id,)
        else:
            assert (await store.close(event, item_id, now=NOW + 1)).ok

    async def agent_offline(self) -> None:
        agent_id = self.rng.choice(AGENTS)
        out = await self.store.upsert_agent(self.next_id("e"), agent(
            agent_id, presence="offline", total_units=1000, queues=QUEUES), now=NOW + 1)
        for offer_id in out.revoked:
            self.pending.pop(offer_id, None)
        await self.store.upsert_agent(self.next_id("e"), agent(
            agent_id, total_units=1000, queues=QUEUES), now=NOW + 1)

    async def redeliver(self) -> None:
        """The same decline delivered twice: counted once."""
        if not self.pending:
            return
        offer_id = self.rng.choice(sorted(self.pending))
        del self.pending[offer_id]
        event = self.next_id("e")
        for _ in range(2):
            assert (await self.store.decline(event, offer_id, now=NOW + 1)).ok


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_offered_items_kept_by_the_scripts_match_a_walk_of_the_pending_offers(
    stack: Stack, seed: int,
) -> None:
    async def scenario() -> None:
        backend = RedisBackend.from_url(stack.redis_url)
        tenant = f"t-{uuid.uuid4().hex[:8]}"
        store = backend.tenant(tenant)
        rng = random.Random(seed)
        run = Run(store, rng)
        try:
            for agent_id in AGENTS:
                await store.upsert_agent(f"reg-{agent_id}", agent(
                    agent_id, total_units=1000, queues=QUEUES), now=NOW)
            steps = [run.new_offer] * 4 + [run.reoffer] * 2 + [run.end_offer] * 3 + [
                run.agent_offline, run.redeliver]
            for _ in range(250):
                await rng.choice(steps)()
                assert await read_offered(backend.client, tenant, QUEUES) == await walked(
                    backend, tenant)
            assert sum((await read_offered(backend.client, tenant, QUEUES)).values()) == len(
                set(run.pending.values()))
            while run.pending:
                await run.end_offer()
            assert await read_offered(backend.client, tenant, QUEUES) == Counter()
            for queue in QUEUES:  # nothing left behind once no offer is pending
                assert not await backend.client.exists(keys.queue_offered(tenant, queue))
        finally:
            async for key in backend.client.scan_iter(match=f"{keys.prefix(tenant)}*"):
                await backend.client.delete(key)
            await backend.aclose()

    asyncio.run(scenario())


def test_offers_from_before_the_index_are_not_counted_and_leave_nothing_behind(
    stack: Stack,
) -> None:
    """An offer made by a version without the index: not counted, and its end does not
    drive the count below zero or leave a field behind."""

    async def scenario() -> None:
        backend = RedisBackend.from_url(stack.redis_url)
        tenant = f"t-{uuid.uuid4().hex[:8]}"
        store = backend.tenant(tenant)
        try:
            await store.upsert_agent("reg", agent("a1", total_units=10, queues=QUEUES), now=NOW)
            for n in range(2):
                out = await store.upsert_item(f"e{n}", item(f"i{n}"), queue="q1", bucket=0,
                                              order_key=(NOW,), now=NOW)
                assert out.version is not None
                assert (await store.commit_offer(f"c{n}", commit(
                    f"o{n}", f"i{n}", "a1", out.version, queue="q1"), now=NOW)).ok
            await backend.client.delete(keys.queue_offered(tenant, "q1"))  # as if before
            assert (await store.decline("d0", "o0", now=NOW + 1)).ok
            assert (await store.accept("a1", "o1", now=NOW + 1)).ok
            assert await read_offered(backend.client, tenant, QUEUES) == Counter()
            assert not await backend.client.exists(keys.queue_offered(tenant, "q1"))
            assert await read_offered(backend.client, f"{tenant}-none", QUEUES) == Counter()
            assert await read_offered(backend.client, tenant, []) == Counter()
        finally:
            async for key in backend.client.scan_iter(match=f"{keys.prefix(tenant)}*"):
                await backend.client.delete(key)
            await backend.aclose()

    asyncio.run(scenario())
