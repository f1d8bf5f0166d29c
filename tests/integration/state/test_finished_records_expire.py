"""Redis keeps a finished offer's record for the TTL of finished records, not for ever.

Why: one `offer:<id>` hash is written per offer ever made (declined, expired, revoked,
requeued and accepted ones alike); Redis runs with `noeviction`, so records nobody will
change again must go by themselves or they fill it. A record still in play (a pending
offer, an assignment whose item is not finished) keeps no TTL. Redis only: the memory
store, like for items, keeps everything.
"""

from __future__ import annotations

import uuid

import pytest

from router.state import RedisBackend, RedisStore, keys
from tests.unit.state.contract import NOW, agent, commit, enqueue


@pytest.fixture(params=["redis", "cluster"])
def backend(request: pytest.FixtureRequest) -> RedisBackend:
    found: RedisBackend = request.getfixturevalue(f"{request.param}_backend")
    return found


async def new_tenant(backend: RedisBackend) -> tuple[RedisStore, str]:
    """A store of a fresh tenant, with agent x in queue q and room for ten items."""
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    store = backend.tenant(tenant)
    await store.upsert_agent("a", agent("x", total_units=10), now=NOW)
    return store, tenant


async def offered(store: RedisStore, item_id: str, offer_id: str) -> None:
    version = await enqueue(store, item_id)
    out = await store.commit_offer(f"c-{offer_id}", commit(offer_id, item_id, "x", version),
                                   now=NOW)
    assert out.ok, out


async def ttl(backend: RedisBackend, tenant: str, offer_id: str) -> int:
    """The offer record's TTL in seconds; -1 when it has none."""
    return int(await backend.client.ttl(keys.offer(tenant, offer_id)))


async def expiring(backend: RedisBackend, tenant: str, offer_id: str) -> bool:
    """Whether the offer record goes within the TTL of finished records."""
    left = await ttl(backend, tenant, offer_id)
    return 0 < left <= backend.config.terminal_ttl_seconds


async def test_an_offer_keeps_its_record_while_in_play_and_for_the_ttl_after(
    backend: RedisBackend,
) -> None:
    store, tenant = await new_tenant(backend)
    await offered(store, "i1", "declined")
    await offered(store, "i2", "expired")
    await offered(store, "i3", "revoked")
    await offered(store, "i4", "pending")
    await offered(store, "i5", "held")
    assert (await store.decline("d", "declined", now=NOW)).ok
    assert (await store.expire("e", "expired", now=NOW + 61)).ok
    assert (await store.revoke("r", "revoked", now=NOW)).ok
    assert (await store.accept("acc", "held", now=NOW)).ok
    for offer_id in ("declined", "expired", "revoked"):
        assert await expiring(backend, tenant, offer_id), offer_id
    # In play: a pending offer, and an assignment whose item is not finished.
    assert await ttl(backend, tenant, "pending") == -1
    assert await ttl(backend, tenant, "held") == -1
    # A late answer within the TTL still gets the precise refusal.
    late = await store.accept("late", "expired", now=NOW + 62)
    assert not late.ok and late.code == "offer_expired"

    assert (await store.complete("cmp", "i5", now=NOW, wrap_up="until_closed")).ok
    assert await ttl(backend, tenant, "held") == -1  # wrap-up: still held
    assert (await store.close("cls", "i5", now=NOW)).ok
    assert await expiring(backend, tenant, "held")
    assert await backend.client.ttl(keys.work_item(tenant, "i5")) > 0
    assert (await store.cancel("can", "i4", now=NOW)).ok  # revokes the pending offer
    assert await expiring(backend, tenant, "pending")


async def test_an_assignment_sent_back_to_a_queue_and_an_offline_agents_offers_expire(
    backend: RedisBackend,
) -> None:
    store, tenant = await new_tenant(backend)
    await offered(store, "i1", "o1")
    assert (await store.accept("acc", "o1", now=NOW)).ok
    out = await store.requeue("rq", "i1", queue="q", bucket=0, order_key=(NOW,), limit=3,
                              now=NOW)
    assert out.ok and out.code == "requeued", out
    assert await expiring(backend, tenant, "o1")
    await offered(store, "i2", "o2")
    out = await store.upsert_agent("off", agent("x", total_units=10, presence="offline"),
                                   now=NOW, base_presence="offline")
    assert out.ok and "o2" in (out.revoked or ()), out
    assert await expiring(backend, tenant, "o2")
