"""admit_items.lua takes a short path for the common case, and takes the admissions of one
loop turn in one call; it must leave Redis exactly as upsert_item then commit_offer would,
one item after the other. The same history is applied to two tenants, one through
`admit_item`, the other through the two calls, and every key of both is compared (values
with the tenant's name taken out): items, agents, offers, queues, ready indexes, records
and outbox slots. Admitted in one turn, only the agents' change numbers differ: one per
agent and call instead of one per commit."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import orjson
import pytest
from redis.exceptions import ResponseError

from router.observability.metrics import STORE_COMMAND_SECONDS
from router.state import OfferCommit, Outcome, RedisBackend, keys
from router.state.redis_store import RedisStore
from tests.unit.state.contract import NOW, agent, commit, item


@pytest.fixture(params=["redis", "cluster"])
def backend(request: pytest.FixtureRequest) -> RedisBackend:
    found: RedisBackend = request.getfixturevalue(f"{request.param}_backend")
    return found


async def _two_steps(store: RedisStore, event_id: str, item_id: str, offer: OfferCommit,
                     t: float) -> tuple[Outcome, Outcome | None]:
    upserted = await store.upsert_item(event_id, item(item_id), queue=offer.queue, bucket=0,
                                       order_key=(t,), now=t, outputs=[f'["up {event_id}"]'])
    if upserted.duplicate or upserted.code != "created":
        return upserted, None
    committed = await store.commit_offer(
        f"{event_id}/offer", OfferCommit(**{**_fields(offer), "item_version": 1}), now=t,
        outputs=[f'["offer {event_id}"]'])
    return upserted, committed


async def _admitted(store: RedisStore, event_id: str, item_id: str, offer: OfferCommit,
                    t: float) -> tuple[Outcome, Outcome | None]:
    return await store.admit_item(
        event_id, item(item_id), queue=offer.queue, bucket=0, order_key=(t,), now=t,
        outputs=[f'["up {event_id}"]'], offer_event_id=f"{event_id}/offer", offer=offer,
        offer_outputs=[f'["offer {event_id}"]'])


def _fields(offer: OfferCommit) -> dict[str, Any]:
    return {name: getattr(offer, name) for name in offer.__struct_fields__}


def _history() -> list[tuple[str, str, OfferCommit]]:
    """(event id, item id, decision) in order: the common case with and without profiles
    and deadlines, an agent running out of room (it leaves the ready index), and each
    way of leaving the short path: a known item, a redelivery, a conflict by units, by
    profile, by presence, an unknown agent, an offer id taken."""
    chat = {"profiles": ("chat",), "profile_defaults": {"chat": 2}}
    return [
        ("e1", "i1", commit("o1", "i1", "x", 0)),
        ("e2", "i2", commit("o2", "i2", "x", 0, deadline=None)),
        ("e3", "i3", commit("o3", "i3", "p", 0, **chat)),
        ("e4", "i4", commit("o4", "i4", "p", 0, **chat)),
        ("e5", "i5", commit("o5", "i5", "p", 0, **chat)),  # profile full: conflict
        ("e6", "i6", commit("o6", "i6", "x", 0)),  # x has 3 units: now full, off the index
        ("e7", "i7", commit("o7", "i7", "x", 0)),  # no room left: conflict
        ("e1", "i1", commit("o1", "i1", "x", 0)),  # redelivered
        ("e8", "i1", commit("o8", "i1", "y", 0)),  # the item exists already
        ("e9", "i9", commit("o9", "i9", "away", 0)),  # presence not allowed
        ("e10", "i10", commit("o10", "i10", "ghost", 0)),  # unknown agent
        ("e11", "i11", commit("o1", "i11", "y", 0)),  # offer id o1 is taken
        ("e12", "i12", commit("o12", "i12", "y", 0, units=0)),
    ]


async def _setup(store: RedisStore) -> None:
    await store.upsert_agent("ax", agent("x", total_units=3), now=NOW)
    await store.upsert_agent("ay", agent("y", total_units=5, queues=("q", "r")), now=NOW)
    await store.upsert_agent("ap", agent("p", total_units=10, profile_limits={"chat": 2}),
                             now=NOW)
    await store.upsert_agent("aa", agent("away", presence="away"), now=NOW)


async def _dump(client: Any, tenant: str) -> dict[str, Any]:
    prefix = keys.prefix(tenant)
    state: dict[str, Any] = {}
    async for raw in client.scan_iter(match=f"{prefix}*", count=1000):
        key = raw.decode()
        kind = (await client.type(key)).decode()
        if kind == "hash":
            value: Any = await client.hgetall(key)
        elif kind == "zset":
            value = await client.zrange(key, 0, -1, withscores=True)
        elif kind == "list":
            value = await client.lrange(key, 0, -1)
        elif kind == "set":
            value = sorted(await client.smembers(key))
        else:
            value = await client.get(key)
        if key == keys.results(tenant):  # outcome JSON: the same fields, in any order
            value = {k: orjson.loads(v) for k, v in value.items()}
        state[key.removeprefix(prefix)] = _untenanted(value, tenant)
    return state


def _untenanted(value: Any, tenant: str) -> Any:
    if isinstance(value, bytes):
        return value.replace(tenant.encode(), b"T")
    if isinstance(value, str):
        return value.replace(tenant, "T")
    if isinstance(value, dict):
        return {_untenanted(k, tenant): _untenanted(v, tenant) for k, v in value.items()}
    if isinstance(value, list):
        return [_untenanted(v, tenant) for v in value]
    if isinstance(value, tuple):
        return tuple(_untenanted(v, tenant) for v in value)
    return value


def _comparable(outcome: Outcome | None) -> Any:
    if outcome is None:
        return None
    return {name: getattr(outcome, name) for name in outcome.__struct_fields__}


async def test_admit_leaves_redis_as_the_two_calls_do(backend: RedisBackend) -> None:
    run = uuid.uuid4().hex[:8]
    one, two = backend.tenant(f"a-{run}"), backend.tenant(f"b-{run}")
    await _setup(one)
    await _setup(two)
    for step, (event_id, item_id, offer) in enumerate(_history()):
        t = NOW + 1 + step
        admitted = await _admitted(one, event_id, item_id, offer, t)
        stepped = await _two_steps(two, event_id, item_id, offer, t)
        assert [_comparable(o) for o in admitted] == [_comparable(o) for o in stepped], (
            event_id)
    first = await _dump(backend.client, one.tenant)
    second = await _dump(backend.client, two.tenant)
    assert first.keys() == second.keys()
    for key in first:
        assert first[key] == second[key], key


def _script_calls(name: str) -> float:
    return sum(sample.value for metric in STORE_COMMAND_SECONDS.collect()
               for sample in metric.samples
               if sample.name.endswith("_count") and sample.labels.get("script") == name)


def _without_change_numbers(state: dict[str, Any]) -> dict[str, Any]:
    """The dump less what only counts changes: the tenant's change counter and each
    agent's change number, on the agent and in the tenant's list of them (read_agents.lua
    compares them with the number a read last saw; their values mean nothing else). The
    list keeps its agents."""
    kept = {key: value for key, value in state.items() if key != "agents:cv"}
    for key, value in kept.items():
        if key.startswith("agent:") and isinstance(value, dict):
            kept[key] = {k: v for k, v in value.items() if k != b"cv"}
        if key == "agents:cvs" and isinstance(value, dict):
            kept[key] = sorted(value)
    return kept


async def test_admissions_of_one_turn_leave_redis_as_the_calls_one_by_one_do(
        backend: RedisBackend) -> None:
    run = uuid.uuid4().hex[:8]
    one, two = backend.tenant(f"a-{run}"), backend.tenant(f"b-{run}")
    await _setup(one)
    await _setup(two)
    history = _history()
    calls = _script_calls("admit_items")
    admitted = await asyncio.gather(*(
        _admitted(one, event_id, item_id, offer, NOW + 1 + step)
        for step, (event_id, item_id, offer) in enumerate(history)))
    assert _script_calls("admit_items") == calls + 1  # the whole history in one call
    for step, (event_id, item_id, offer) in enumerate(history):
        stepped = await _two_steps(two, event_id, item_id, offer, NOW + 1 + step)
        assert [_comparable(o) for o in admitted[step]] == [
            _comparable(o) for o in stepped], event_id
    first = _without_change_numbers(await _dump(backend.client, one.tenant))
    second = _without_change_numbers(await _dump(backend.client, two.tenant))
    assert first.keys() == second.keys()
    for key in first:
        assert first[key] == second[key], key
    # Every agent a commit charged was marked changed, once.
    for agent_id in ("x", "p", "y"):
        cv = await backend.client.hget(keys.agent(one.tenant, agent_id), "cv")
        assert cv is not None and int(cv) > 4, agent_id  # after the four registrations


async def test_an_admission_that_fails_fails_alone(backend: RedisBackend) -> None:
    """A script error in one item of a call (here a malformed unit count) is that item's
    caller's error; the items before and after it are admitted."""
    store = backend.tenant(f"f-{uuid.uuid4().hex[:8]}")
    await _setup(store)
    bad = OfferCommit(**{**_fields(commit("o2", "i2", "y", 0)), "units": "many"})
    first, failed, last = await asyncio.gather(
        _admitted(store, "e1", "i1", commit("o1", "i1", "y", 0), NOW),
        _admitted(store, "e2", "i2", bad, NOW),
        _admitted(store, "e3", "i3", commit("o3", "i3", "y", 0), NOW),
        return_exceptions=True)
    assert isinstance(failed, ResponseError)
    for outcome in (first, last):
        assert not isinstance(outcome, BaseException)
        upserted, committed = outcome
        assert upserted.code == "created" and committed is not None and committed.ok
    assert await store.recorded("e2") is None and await store.get_item("i2") is None
    agent_y = await store.get_agent("y")
    assert agent_y is not None and agent_y.used_units == 2
