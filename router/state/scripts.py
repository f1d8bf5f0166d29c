"""Loads the Lua scripts once (SCRIPT LOAD) and runs them by EVALSHA.

Why not ``register_script``: we want to own the reload path and test it. On NOSCRIPT
(Redis restarted, failover, ``SCRIPT FLUSH``) the script is loaded again and the call
retried once. On Redis Cluster, redis-py sends SCRIPT LOAD to every primary and routes
EVALSHA by the first key; all keys of a call carry the same ``{tenant}`` tag.

Mutation scripts get ``lua/_lib.lua`` prepended (Redis Lua has no ``require``), the
outbox's take and acknowledgement ``lua/_outbox.lua``.

On a standalone Redis, the calls made in one turn of the event loop go out together as
one pipeline (`AutoPipeline`): a worker handling a batch of events concurrently then
pays one write and one read for all of them instead of one per call, which is most of
a call's cost in Python. Each call is still its own EVALSHA, atomic on its own; only
the transport is shared.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Sequence
from importlib import resources
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.connection import Connection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError

from router.observability.metrics import STORE_COMMAND_SECONDS
from router.state.multiplex import (
    CONNECT_TIMEOUT_S,
    REPLY_TIMEOUT_S,
    MultiplexedConnection,
    pack,
)
from router.state.turn_batch import TurnBatch

Client = aioredis.Redis | RedisCluster

MUTATIONS = ("upsert_item", "upsert_agent", "commit_offer", "resolve_offer", "finish_item",
             "requeue_item", "admit_items")
READS = ("read_queue", "read_agents", "read_due", "reorder_queue")
OUTBOX = ("outbox_fill", "outbox_take", "outbox_ack", "outbox_skip")
ACKNOWLEDGING = ("outbox_take", "outbox_ack")
"""Outbox scripts that get ``lua/_outbox.lua`` prepended."""


def source(name: str) -> str:
    """The full text of a script as it is loaded into Redis."""
    lua = resources.files("router.state").joinpath("lua")
    text = lua.joinpath(f"{name}.lua").read_text()
    if name in MUTATIONS:
        text = lua.joinpath("_lib.lua").read_text() + "\n" + text
    elif name in ACKNOWLEDGING:
        text = lua.joinpath("_outbox.lua").read_text() + "\n" + text
    return text


FLUSH_MAX = 64
"""Calls per pipelined write at most (see AutoPipeline)."""
FLUSH_BYTES = 1 << 16
"""A write goes out as soon as the calls waiting for it come to this many bytes, without
waiting for the end of the loop turn (see AutoPipeline)."""


class AutoPipeline:
    """EVALSHAs issued in the same turn of the event loop, sent as one pipeline.

    A call is packed at once and waits on a future (a TurnBatch of the packed calls,
    weighed by their bytes). Calls queue for the next write, which goes out at the end
    of the turn (`call_soon`, which runs after every task
    already scheduled for this turn had its go, so concurrent callers share a write
    while a lone caller waits one loop hop), or at once when the calls queued reach
    FLUSH_MAX or FLUSH_BYTES. Errors are per call (NOSCRIPT stays the caller's to
    handle); a connection failure fails every call of its write.

    Why writes of at most FLUSH_MAX calls, each of whose callers resume when its own
    replies are in: under load a turn held a thousand commits, about a quarter of a
    second of Redis time, and all thousand callers waited for the last reply while the
    worker had nothing else to do; Redis then idled while they all ran. Why a full
    write goes out at once, from the call that filled it: a batch's admissions are
    encoded one after another in one turn, and a write left for the end of the turn
    (and for the tasks between) kept Redis idle while the worker encoded the rest, then
    the worker idle while Redis ran them all; traced in a sustained run, the worker
    and Redis took turns, each about half busy.
    """

    def __init__(self, client: aioredis.Redis) -> None:
        self._client = client
        self.connection = _multiplexed(client)
        """Our own pipelined connection when the client's is plain TCP, else None
        (redis-py's pipeline then, a turn's calls together)."""
        self._turns: TurnBatch[tuple[Any, ...], Any] = TurnBatch(self._via_redis_py,
                                                                  FLUSH_MAX)
        self._writes: TurnBatch[bytes, Any] = TurnBatch(self._write, FLUSH_MAX,
                                                        weight=len, max_weight=FLUSH_BYTES)

    def evalsha(self, *args: Any) -> asyncio.Future[Any]:
        """Queues the call for the next write (sent at once if this call fills it)."""
        if self.connection is None:
            return self._turns.submit(args)
        try:
            packed = pack(("EVALSHA", *args))
        except Exception as exc:  # the protocol cannot carry an argument: fails alone
            failed: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            failed.set_exception(exc)
            return failed
        return self._writes.submit(packed)

    async def drained(self) -> None:
        """See MultiplexedConnection.drained."""
        if self.connection is not None:
            await self.connection.drained()

    def _write(self, packed: Sequence[bytes]) -> Awaitable[list[Any]]:
        """Writes at once on an open connection; else opens one, then writes."""
        connection = self.connection
        assert connection is not None
        try:
            replies = connection.send_now(packed)
        except Exception as exc:  # the connection failed under the write: retried
            raise RedisConnectionError(f"Redis write failed: {exc!r}") from exc
        return connection.execute(packed) if replies is None else replies

    async def _via_redis_py(self, calls: Sequence[tuple[Any, ...]]) -> list[Any]:
        if len(calls) == 1:
            return [await self._call(calls[0])]
        pipe = self._client.pipeline(transaction=False)
        for args in calls:
            pipe.evalsha(*args)
        return list(await pipe.execute(raise_on_error=False))

    async def _call(self, args: tuple[Any, ...]) -> Any:
        try:
            return await self._client.evalsha(*args)
        except Exception as exc:  # handed to the waiter, as a pipeline's errors are
            return exc


def _multiplexed(client: aioredis.Redis) -> MultiplexedConnection | None:
    pool = client.connection_pool
    if pool.connection_class is not Connection:  # unix socket, TLS: redis-py's own
        return None
    options = pool.connection_kwargs
    return MultiplexedConnection(
        options.get("host", "localhost"), int(options.get("port", 6379)),
        db=int(options.get("db", 0) or 0), username=options.get("username"),
        password=options.get("password"),
        connect_timeout_s=float(options.get("socket_connect_timeout") or CONNECT_TIMEOUT_S),
        reply_timeout_s=float(options.get("socket_timeout") or REPLY_TIMEOUT_S))


class Scripts:
    """The router's scripts on one client (standalone or cluster)."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self._source = {name: source(name) for name in MUTATIONS + READS + OUTBOX}
        self.sha: dict[str, str] = {}
        self.loads = 0
        # A cluster routes each call by its key; its pipeline is not worth the risk here.
        self._pipeline = None if isinstance(client, RedisCluster) else AutoPipeline(client)
        self._timers = {name: STORE_COMMAND_SECONDS.labels(name) for name in self._source}

    @property
    def epoch(self) -> tuple[int, int]:
        """Changes when Redis may have lost or rolled back its data: scripts loaded
        again (NOSCRIPT after a restart, failover or flush) or a new connection.
        Caches of Redis state (read_agents' change numbers) start afresh then."""
        connection = self.connection
        return self.loads, 0 if connection is None else connection.connects

    @property
    def connection(self) -> MultiplexedConnection | None:
        """The pipelined connection the calls share (None: redis-py's)."""
        return None if self._pipeline is None else self._pipeline.connection

    async def aclose(self) -> None:
        if self.connection is not None:
            await self.connection.aclose()

    async def load(self, name: str | None = None) -> None:
        for each in (name,) if name else tuple(self._source):
            self.sha[each] = str(await self.client.script_load(self._source[each]))
            self.loads += 1

    async def run(self, name: str, keys: list[str], args: list[Any]) -> Any:
        return await self.start(name, keys, args)

    def start(self, name: str, keys: list[str], args: list[Any]) -> Awaitable[Any]:
        """`run`, with the call queued for its write before this returns (when the
        script is loaded and calls are pipelined), so a caller can start several calls
        one after another, each going out as soon as its write is full (AutoPipeline),
        and await them later. The awaitable must be awaited."""
        started = time.perf_counter()
        queued = None
        if self._pipeline is not None and name in self.sha:
            queued = self._pipeline.evalsha(self.sha[name], len(keys), *keys, *args)
        return self._finish(name, keys, args, queued, started)

    async def _finish(self, name: str, keys: list[str], args: list[Any],
                      queued: asyncio.Future[Any] | None, started: float) -> Any:
        try:
            try:
                if queued is None:
                    if name not in self.sha:
                        await self.load(name)
                        started = time.perf_counter()  # as before: the call, not the load
                    return await self._evalsha(name, keys, args)
                return await self._queued(queued)
            except NoScriptError:
                await self.load(name)
                return await self._evalsha(name, keys, args)
        finally:
            # Failed calls count too: a slow timeout is exactly what this should show.
            self._timers[name].observe(time.perf_counter() - started)

    async def _queued(self, queued: asyncio.Future[Any]) -> Any:
        assert self._pipeline is not None
        if not queued.done():  # answered already: no other write's backlog to wait for
            try:
                await self._pipeline.drained()
            except BaseException:
                queued.cancel()  # its reply, or the connection's failure, is nobody's now
                raise
        return await queued

    async def _evalsha(self, name: str, keys: list[str], args: list[Any]) -> Any:
        if self._pipeline is None:
            return await self.client.evalsha(self.sha[name], len(keys), *keys, *args)
        return await self._queued(
            self._pipeline.evalsha(self.sha[name], len(keys), *keys, *args))
