"""Redis-only behaviour: script reload after SCRIPT FLUSH, key names and slots."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
import uuid
from typing import Any

import pytest
import redis.asyncio
import redis.exceptions

from router.state import RedisBackend, keys
from router.state.multiplex import REPLY_TIMEOUT_S
from router.state.outbox import RedisOutbox
from router.state.scripts import FLUSH_BYTES, FLUSH_MAX
from tests.integration.stack import Stack
from tests.unit.state.contract import NOW, agent, commit, enqueue, ids, item


@pytest.fixture(params=["redis", "cluster"])
def backend(request: pytest.FixtureRequest) -> RedisBackend:
    found: RedisBackend = request.getfixturevalue(f"{request.param}_backend")
    return found


async def test_scripts_are_reloaded_after_script_flush(backend: RedisBackend) -> None:
    store = backend.tenant(f"t-{uuid.uuid4().hex[:8]}")
    await enqueue(store, "a")
    loads = backend.scripts.loads
    await backend.client.script_flush()
    assert not any(await backend.client.script_exists(backend.scripts.sha["upsert_item"]))
    await enqueue(store, "b")  # NOSCRIPT -> SCRIPT LOAD -> EVALSHA again
    assert backend.scripts.loads == loads + 1
    assert [q.item.id for q in await store.top_items("q", 10)] == ["a", "b"]  # reload too
    assert backend.scripts.loads == loads + 2


# Every key pattern of keys.py, as a regex over the tenant's keys.
PATTERNS = [
    r"item:[^:]+", r"declines:[^:]+", r"agent:[^:]+", r"agents:cvs?", r"agents",
    r"agents:listed", r"agentoffers:[^:]+",
    r"queue:[^:]+:(items|manual|ready|offered)", r"offer:[^:]+", r"offers:due", r"wrapup:due",
    r"items:expiry", r"seen", r"results",
]


async def test_every_key_is_named_by_keys_py_and_shares_the_tenant_slot(
    backend: RedisBackend,
) -> None:
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    store = backend.tenant(tenant)
    await store.upsert_agent("a", agent("x"), now=NOW)
    v = await enqueue(store, "i")
    await store.commit_offer("c", commit("o", "i", "x", v), now=NOW)
    await store.decline("d", "o", now=NOW)
    v2 = await enqueue(store, "j")
    await store.commit_offer("c2", commit("o2", "j", "x", v2), now=NOW)
    await store.accept("acc", "o2", now=NOW)
    await store.complete("cmp", "j", now=NOW, wrap_up="seconds", release_at=NOW + 99)
    await store.schedule_expiry("j", NOW + 99)
    prefix = keys.prefix(tenant)
    found = sorted(
        [k.decode() async for k in backend.client.scan_iter(match=f"{prefix}*")]
        if not hasattr(backend.client, "get_nodes")
        else {k.decode() async for k in backend.client.scan_iter(match=f"{prefix}*")}
    )
    assert found, "no keys written"
    pattern = re.compile(re.escape(prefix) + "(" + "|".join(PATTERNS) + ")$")
    assert [k for k in found if not pattern.match(k)] == []
    for name in ("item:i", "declines:i", "agent:x", "queue:q:items", "queue:q:ready",
                 "offer:o", "wrapup:due", "items:expiry", "seen", "results"):
        assert prefix + name in found
    assert keys.work_item(tenant, "i") in found and keys.item_declines(tenant, "i") in found
    assert keys.agents_cv(tenant) in found and keys.agents_cvs(tenant) in found
    assert keys.agents(tenant) in found and keys.agents_listed(tenant) in found
    slots = {await backend.client.cluster_keyslot(k) for k in found} if hasattr(
        backend.client, "get_nodes") else {None}
    assert len(slots) == 1


async def test_candidate_agents_held_from_an_earlier_read_follow_every_change(
    backend: RedisBackend,
) -> None:
    """Two workers read the same queue; each change one makes (offer, release, profile
    edit, a second registration) is what the other reads next, never its held copy."""
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    one, other = backend.tenant(tenant), backend.tenant(tenant)
    await one.upsert_agent("ax", agent("x", total_units=3), now=NOW)
    await one.upsert_agent("ay", agent("y", total_units=3), now=NOW)

    async def used(store: object) -> dict[str, int]:
        assert isinstance(store, type(one))
        return {a.id: a.used_units for a in await store.candidate_agents("q", 10)}

    assert await used(one) == {"x": 0, "y": 0}
    unchanged = {a.id: a for a in await one.candidate_agents("q", 10)}
    v = await enqueue(other, "i")
    assert (await other.commit_offer("c", commit("o", "i", "x", v), now=NOW)).ok
    assert await used(one) == {"x": 1, "y": 0}
    again = {a.id: a for a in await one.candidate_agents("q", 10)}
    assert again["y"] is unchanged["y"]  # not decoded again
    await other.decline("d", "o", now=NOW + 1)
    assert await used(one) == {"x": 0, "y": 0}
    await other.upsert_agent("ay2", agent("y", total_units=3, skills={"fr": 4.5}), now=NOW)
    assert {a.id: dict(a.skills) for a in await one.candidate_agents("q", 10)}["y"] == {
        "fr": 4.5}
    await backend.client.delete(keys.agent(tenant, "x"))
    await one.upsert_agent("ax2", agent("x", total_units=5), now=NOW)
    assert {a.id: a.total_units for a in await one.candidate_agents("q", 10)}["x"] == 5


async def test_an_agent_entering_the_first_limit_unchanged_is_read_whole(
    backend: RedisBackend,
) -> None:
    """A read sends whole only the agents changed since the last one; an agent that was
    past the limit then and moved up because another left is unchanged but not held: it
    must come back right all the same, and the agents held follow the ready order."""
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    store = backend.tenant(tenant)
    for units, agent_id in ((5, "x"), (4, "y"), (3, "z"), (2, "w")):
        await store.upsert_agent(f"a{agent_id}", agent(agent_id, total_units=units,
                                                       skills={"en": units}), now=NOW)
    assert [a.id for a in await store.candidate_agents("q", 2)] == ["x", "y"]
    await store.upsert_agent("x-off", agent("x", total_units=5, presence="offline"), now=NOW)
    read = await store.candidate_agents("q", 2)
    assert [(a.id, a.total_units, dict(a.skills)) for a in read] == [
        ("y", 4, {"en": 4}), ("z", 3, {"en": 3})]
    again = await store.candidate_agents("q", 3)  # w moved up: the queue read whole
    assert [(a.id, a.total_units) for a in again] == [("y", 4), ("z", 3), ("w", 2)]
    third = await store.candidate_agents("q", 3)
    assert all(a is b for a, b in zip(third, again, strict=True))  # held, not decoded


async def test_a_read_of_more_agents_than_one_lua_call_takes_holds_them_all(
    redis_backend: RedisBackend,
) -> None:
    """Change numbers are read 1,000 agents at a time: Lua unpacks 8,000 values at most."""
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    store = redis_backend.tenant(tenant)
    await asyncio.gather(*(store.upsert_agent(f"a{n}", agent(f"x{n:04d}"), now=NOW)
                           for n in range(8_200)))
    await store.candidate_agents("q", 1)  # loads the script (the epoch moves)
    first = await store.candidate_agents("q", 10_000)
    second = await store.candidate_agents("q", 10_000)
    assert len(first) == 8_200 and {a.id for a in first} == {f"x{n:04d}" for n in range(8_200)}
    assert all(a is b for a, b in zip(first, second, strict=True))  # all held


async def test_held_agents_are_read_whole_when_the_change_number_went_back(
    redis_backend: RedisBackend,
) -> None:
    """Redis data rolled back without a reconnect or a script reload (the epoch does
    not move): the tenant's change number is below the one the read sends, so nothing
    held is trusted."""
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    store = redis_backend.tenant(tenant)
    for agent_id in ("x", "y"):
        await store.upsert_agent(f"a{agent_id}", agent(agent_id, total_units=3), now=NOW)
    for _ in range(2):  # the second read holds them (the first loaded the script)
        assert [a.used_units for a in await store.candidate_agents("q", 10)] == [0, 0]
    client = redis_backend.client
    # An older copy: the tenant's number is lower, and y differs at the same number.
    await client.set(keys.agents_cv(tenant), 1)
    await client.hset(keys.agent(tenant, "y"), "uu", 2)
    assert {a.id: a.used_units for a in await store.candidate_agents("q", 10)} == {
        "x": 0, "y": 2}


async def test_an_agent_read_with_a_malformed_change_number_is_refused(
    redis_backend: RedisBackend,
) -> None:
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    with pytest.raises(redis.exceptions.ResponseError, match="ARGV\\[3\\] x: must be"):
        await redis_backend.scripts.run("read_agents", [keys.queue_ready(tenant, "q")],
                                        [keys.prefix(tenant), "10", "x"])


def _count_writes(connection: Any, monkeypatch: pytest.MonkeyPatch,
                  hold: dict[int, asyncio.Event] | None = None) -> list[int]:
    """The commands of each write on `connection`, in order; the replies of the writes
    numbered in `hold` (1 the first) reach their callers once its event is set."""
    writes: list[int] = []
    real = connection.send_now

    def counting(commands: Any) -> asyncio.Future[list[Any]] | None:
        replies = real(commands)
        if replies is None:
            return None
        writes.append(len(commands))
        held = (hold or {}).get(len(writes))
        if held is None:
            return replies  # type: ignore[no-any-return]

        async def later() -> list[Any]:
            await held.wait()
            return await replies  # type: ignore[no-any-return]

        return asyncio.ensure_future(later())

    monkeypatch.setattr(connection, "send_now", counting)
    return writes


async def test_concurrent_calls_share_a_pipeline_and_keep_their_own_results(
    redis_backend: RedisBackend, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One loop turn's calls go out as one write on the shared connection; each caller
    gets its own outcome, its own error, and a NOSCRIPT in the middle reloads for all."""
    connection = redis_backend.scripts.connection
    assert connection is not None  # plain TCP: the multiplexed connection is used
    store = redis_backend.tenant(f"t-{uuid.uuid4().hex[:8]}")
    await enqueue(store, "first")  # loaded and connected: every later call is pipelined
    writes = _count_writes(connection, monkeypatch)
    versions = await asyncio.gather(*(enqueue(store, f"i{n:02d}") for n in range(40)))
    assert versions == [1] * 40 and writes == [40]
    assert len(await ids(store)) == 41

    await redis_backend.client.script_flush()
    outcomes = await asyncio.gather(*(
        store.upsert_item(f"again-{n}", item(f"j{n}"), queue="q", bucket=0,
                          order_key=(NOW,), now=NOW) for n in range(10)))
    assert all(o.ok and o.code == "created" for o in outcomes)

    # A call that fails in Redis fails alone; the others of its write commit.
    await store.upsert_agent("ag", agent("x"), now=NOW)
    good, bad = await asyncio.gather(
        store.commit_offer("c1", commit("o1", "i00", "x", 1), now=NOW),
        redis_backend.scripts.run("read_agents", [keys.queue_ready(store.tenant, "q")],
                                  [keys.prefix(store.tenant), "10", "x"]),  # not a number
        return_exceptions=True)
    assert not isinstance(good, BaseException) and good.ok
    assert isinstance(bad, redis.exceptions.ResponseError)
    assert not isinstance(bad, redis.exceptions.NoScriptError)


async def test_a_big_turn_goes_out_in_writes_whose_callers_resume_on_their_own_replies(
    redis_backend: RedisBackend, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A turn of more than FLUSH_MAX calls is split into writes sent in order; the
    callers of the first write have their outcomes while a later write is still out."""
    connection = redis_backend.scripts.connection
    assert connection is not None
    store = redis_backend.tenant(f"t-{uuid.uuid4().hex[:8]}")
    await enqueue(store, "first")
    held = asyncio.Event()
    writes = _count_writes(connection, monkeypatch, hold={3: held})
    count = 2 * FLUSH_MAX + 5
    calls = [asyncio.ensure_future(enqueue(store, f"i{n:03d}")) for n in range(count)]
    for _ in range(200):
        if sum(c.done() for c in calls) == 2 * FLUSH_MAX:
            break
        await asyncio.sleep(0.01)
    assert writes == [FLUSH_MAX, FLUSH_MAX, 5]
    assert [c.done() for c in calls] == [True] * (2 * FLUSH_MAX) + [False] * 5
    held.set()
    assert await asyncio.gather(*calls) == [1] * count
    assert [q.item.id for q in await store.top_items("q", count + 1)][1:] == [
        f"i{n:03d}" for n in range(count)]


async def test_a_full_write_goes_out_at_once_not_at_the_end_of_the_turn(
    redis_backend: RedisBackend, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Calls started one after another without yielding to the loop: each time the
    queued calls reach FLUSH_MAX, or FLUSH_BYTES, they are written before the next is
    even started, so Redis works on them while the caller prepares the rest."""
    connection = redis_backend.scripts.connection
    assert connection is not None
    scripts = redis_backend.scripts
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    ready = [keys.queue_ready(tenant, "q")]
    read = [keys.prefix(tenant), "10", ""]
    await scripts.run("read_agents", ready, read)
    writes = _count_writes(connection, monkeypatch)
    started = []
    for n in range(FLUSH_MAX + 3):
        started.append(scripts.start("read_agents", ready, read))
        assert writes == ([FLUSH_MAX] if n >= FLUSH_MAX - 1 else []), n
    # One call of FLUSH_BYTES on its own goes out at once, after the calls before it.
    big = [keys.prefix(tenant), "10", "", "x" * FLUSH_BYTES]
    started.append(scripts.start("read_agents", ready, big))
    assert writes == [FLUSH_MAX, 4]
    started.append(scripts.start("read_agents", ready, read))
    assert writes == [FLUSH_MAX, 4]  # a small call waits for the end of the turn
    replies = await asyncio.gather(*started)
    assert writes == [FLUSH_MAX, 4, 1]
    assert all(reply[1] == [] for reply in replies)


async def test_a_write_that_fails_fails_its_calls_as_a_lost_connection(
    redis_backend: RedisBackend, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A failure under the write reaches each caller as redis-py's ConnectionError, which
    the input handling retries, not as the socket's own error, which it dead-letters."""
    connection = redis_backend.scripts.connection
    assert connection is not None
    store = redis_backend.tenant(f"t-{uuid.uuid4().hex[:8]}")
    await enqueue(store, "first")

    def broken(commands: Any) -> None:
        raise BrokenPipeError("the socket went away")

    monkeypatch.setattr(connection, "send_now", broken)
    failed = await asyncio.gather(*(enqueue(store, f"k{n}") for n in range(3)),
                                  return_exceptions=True)
    assert all(isinstance(r, redis.exceptions.ConnectionError) and "BrokenPipeError"
               in str(r) for r in failed), failed
    monkeypatch.undo()
    assert await enqueue(store, "after") == 1


async def test_a_killed_connection_fails_its_calls_then_the_next_call_reconnects(
    redis_backend: RedisBackend,
) -> None:
    store = redis_backend.tenant(f"t-{uuid.uuid4().hex[:8]}")
    assert await enqueue(store, "before") == 1
    killer = redis.asyncio.Redis.from_url(f"redis://{_address(redis_backend)}/0")
    try:
        clients = await killer.client_list()
        ours = [c["id"] for c in clients if c.get("name") == "router-scripts"]
        assert ours, clients
        # A slow script holds the connection while it is killed under it.
        slow = asyncio.ensure_future(redis_backend.scripts.run(
            "read_agents", [keys.queue_ready(store.tenant, "q")],
            [keys.prefix(store.tenant), "10", ""]))
        for client_id in ours:
            await killer.client_kill_filter(_id=client_id)
        with contextlib.suppress(redis.exceptions.ConnectionError):
            await slow  # answered before the kill, or failed by it: never hangs
        await asyncio.sleep(0.05)
        failed = await asyncio.gather(*(enqueue(store, f"k{n}") for n in range(5)),
                                      return_exceptions=True)
        # Either they failed with the connection (retried by the caller) or they went
        # out on a new one; never a hang, never another error.
        for result in failed:
            assert result == 1 or isinstance(result, redis.exceptions.ConnectionError)
        assert await enqueue(store, "after") == 1
        names = [c.get("name") for c in await killer.client_list()]
        assert names.count("router-scripts") == 1
    finally:
        await killer.aclose()


BUSY_LUA = """local s = redis.call('TIME')
while true do
  local t = redis.call('TIME')
  if (t[1] - s[1]) * 1000000 + (t[2] - s[2]) > tonumber(ARGV[1]) then return 1 end
end"""


async def test_a_redis_that_stops_answering_fails_the_calls_waiting_and_is_left(
    redis_backend: RedisBackend,
) -> None:
    """Redis held by a long script elsewhere answers nobody, yet keeps the connection
    open: the calls waiting fail with a TimeoutError (retried by the input handling)
    after the reply timeout instead of hanging, and the next call goes out on a new
    connection. A connection with nothing asked of it is not dropped, however quiet."""
    backend = RedisBackend.from_url(f"redis://{_address(redis_backend)}/0?socket_timeout=0.5")
    blocker = redis.asyncio.Redis.from_url(f"redis://{_address(redis_backend)}/0")
    store = backend.tenant(f"t-{uuid.uuid4().hex[:8]}")
    try:
        assert await enqueue(store, "before") == 1
        connection = backend.scripts.connection
        assert connection is not None
        opened = connection.connects
        await asyncio.sleep(0.8)  # quiet for longer than the timeout: kept
        assert await enqueue(store, "quiet") == 1 and connection.connects == opened
        busy = asyncio.ensure_future(blocker.eval(BUSY_LUA, 0, 1_500_000))
        await asyncio.sleep(0.2)  # the script runs: Redis answers nobody
        started = time.monotonic()
        waiting = await asyncio.gather(enqueue(store, "a"), enqueue(store, "b"),
                                       return_exceptions=True)
        waited = time.monotonic() - started
        assert all(isinstance(r, redis.exceptions.TimeoutError) for r in waiting), waiting
        assert 0.4 <= waited < 1.2, waited  # the timeout, not the script's 1.5 s
        assert await busy == 1
        assert await enqueue(store, "after") == 1
        assert connection.connects == opened + 1
    finally:
        await blocker.aclose()
        await backend.aclose()


async def test_plain_calls_to_a_redis_that_stops_answering_fail_after_the_reply_timeout(
    redis_backend: RedisBackend,
) -> None:
    """Reads outside the scripts (an offer, a recorded result, the outbox's cursors, the
    readiness ping) go through redis-py's pool, which waits for ever by default. With no
    `socket_timeout` in the URL, the backend's reply timeout bounds them too: they fail
    with a TimeoutError (retried by the input handling) and work again once Redis does."""
    backend = RedisBackend.from_url(f"redis://{_address(redis_backend)}/0",
                                    reply_timeout_s=0.5)
    blocker = redis.asyncio.Redis.from_url(f"redis://{_address(redis_backend)}/0")
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    store = backend.tenant(tenant)
    outbox = RedisOutbox(backend, tenant, "worker-a")

    def reads() -> list[Any]:
        return [store.get_offer("offer-1"), store.recorded("event-1"), outbox.pending(),
                backend.client.ping()]

    try:
        assert await asyncio.gather(*reads()) == [None, None, 0, True]
        busy = asyncio.ensure_future(blocker.eval(BUSY_LUA, 0, 1_500_000))
        await asyncio.sleep(0.2)  # the script runs: Redis answers nobody
        started = time.monotonic()
        waiting = await asyncio.gather(*reads(), return_exceptions=True)
        waited = time.monotonic() - started
        assert all(isinstance(r, redis.exceptions.TimeoutError) for r in waiting), waiting
        assert 0.4 <= waited < 1.2, waited  # the timeout, not the script's 1.5 s
        assert await busy == 1
        assert await asyncio.gather(*reads()) == [None, None, 0, True]
    finally:
        await blocker.aclose()
        await backend.aclose()


def test_a_socket_timeout_in_the_url_wins_over_the_default_reply_timeout() -> None:
    plain = RedisBackend.from_url("redis://127.0.0.1:1/0")
    given = RedisBackend.from_url("redis://127.0.0.1:1/0?socket_timeout=0.3")
    assert plain.client.connection_pool.connection_kwargs["socket_timeout"] == REPLY_TIMEOUT_S
    assert given.client.connection_pool.connection_kwargs["socket_timeout"] == 0.3


def _address(backend: RedisBackend) -> str:
    options = backend.client.connection_pool.connection_kwargs
    return f"{options['host']}:{options['port']}"


async def test_a_call_that_cannot_be_sent_fails_alone_and_replies_stay_aligned(
    redis_backend: RedisBackend,
) -> None:
    store = redis_backend.tenant(f"t-{uuid.uuid4().hex[:8]}")
    unsendable = redis_backend.scripts.run(
        "read_agents", [keys.queue_ready(store.tenant, "q")],
        [keys.prefix(store.tenant), "10", None])  # hiredis cannot pack None
    results = await asyncio.gather(enqueue(store, "a"), unsendable, enqueue(store, "b"),
                                   return_exceptions=True)
    assert results[0] == 1 and results[2] == 1
    assert isinstance(results[1], TypeError)
    # Later calls get their own replies, not a neighbour's.
    assert [q.item.id for q in await store.top_items("q", 10)] == ["a", "b"]
    assert await enqueue(store, "c") == 1


def test_error_replies_map_to_the_exceptions_redis_py_raises() -> None:
    from router.state.multiplex import reply_error

    assert isinstance(reply_error("NOSCRIPT No matching script"), redis.exceptions.NoScriptError)
    loading = reply_error("LOADING Redis is loading the dataset in memory")
    assert isinstance(loading, redis.exceptions.BusyLoadingError)
    assert isinstance(loading, redis.exceptions.ConnectionError)  # retried, not dead-lettered
    assert type(reply_error("ERR user_script:1: boom")) is redis.exceptions.ResponseError


async def test_held_agents_are_dropped_when_redis_may_have_lost_its_data(
    redis_backend: RedisBackend,
) -> None:
    """A restart or restore can hand out change numbers again; the scripts being loaded
    again (NOSCRIPT) is the sign, and the held copies go."""
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    store = redis_backend.tenant(tenant)
    await store.upsert_agent("a1", agent("x", total_units=3), now=NOW)
    assert [a.total_units for a in await store.candidate_agents("q", 10)] == [3]
    async for key in redis_backend.client.scan_iter(match=f"{keys.prefix(tenant)}*"):
        await redis_backend.client.delete(key)  # as if restored from an older copy
    await redis_backend.client.script_flush()
    await redis_backend.tenant(tenant).upsert_agent("a2", agent("x", total_units=7), now=NOW)
    assert await redis_backend.client.hget(keys.agent(tenant, "x"), "cv") == b"1"  # again
    assert [a.total_units for a in await store.candidate_agents("q", 10)] == [7]


async def test_held_agents_are_dropped_when_the_read_itself_finds_data_lost(
    redis_backend: RedisBackend, stack: Stack,
) -> None:
    """As above, but another worker re-registered the agent, so this worker's first call
    after the loss is the agent read itself: it must not trust the change numbers it sent
    before it learned of the loss."""
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    store = redis_backend.tenant(tenant)
    await store.upsert_agent("a1", agent("x", total_units=3), now=NOW)
    for _ in range(2):  # the second read already holds x (the first loaded the script)
        assert [a.total_units for a in await store.candidate_agents("q", 10)] == [3]
    async for key in redis_backend.client.scan_iter(match=f"{keys.prefix(tenant)}*"):
        await redis_backend.client.delete(key)  # as if restored from an older copy
    await redis_backend.client.script_flush()
    other = RedisBackend.from_url(stack.redis_url)
    try:
        await other.tenant(tenant).upsert_agent("a2", agent("x", total_units=7), now=NOW)
    finally:
        await other.aclose()
    assert await redis_backend.client.hget(keys.agent(tenant, "x"), "cv") == b"1"  # again
    assert [a.total_units for a in await store.candidate_agents("q", 10)] == [7]


async def test_more_concurrent_reads_than_pooled_connections_wait_for_one(
    stack: Stack, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A worker has far more reads in flight than its pool has connections (five
    batches of 500 events); past the pool's size they queue instead of failing with
    redis-py's "Too many connections", which turned every such event into a retry."""
    import router.state.redis_store as redis_store

    monkeypatch.setattr(redis_store, "POOL_CONNECTIONS", 4)
    backend = RedisBackend.from_url(stack.redis_url)
    try:
        store = backend.tenant(f"t-{uuid.uuid4().hex[:8]}")
        await enqueue(store, "i1")
        records = await asyncio.gather(*(store.get_item("i1") for _ in range(200)))
        assert all(record is not None and record.item.id == "i1" for record in records)
        pool = backend.client.connection_pool
        opened = len(pool._available_connections) + len(pool._in_use_connections)
        assert pool.max_connections == 4 and opened <= 4
    finally:
        await backend.aclose()


def test_a_url_timeout_of_zero_is_refused_before_any_call() -> None:
    """Zero made every call time out at once (plain calls) or wait 10 s (scripts)."""
    with pytest.raises(ValueError, match="socket_timeout=0: must be a positive number"):
        RedisBackend.from_url("redis://127.0.0.1:1/0?socket_timeout=0")
