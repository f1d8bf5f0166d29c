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
from collections.abc import Sequence
from importlib import resources
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.connection import Connection
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
"""Calls per pipelined write (see AutoPipeline)."""


class AutoPipeline:
    """EVALSHAs issued in the same turn of the event loop, sent as one pipeline.

    A call queues its command and waits on a future (a TurnBatch: the first call of a
    turn schedules the flush with `call_soon`, which runs after every task already
    scheduled for this turn had its go, so concurrent callers share a flush while a lone
    caller waits one loop hop). Errors are per call (NOSCRIPT stays the caller's to
    handle); a connection failure fails every call of its write.

    A turn's calls go out as writes of at most FLUSH_MAX, one after the other on the same
    connection (so still in order), and each write's callers resume when its own replies
    are in. Why: under load a turn held a thousand commits, about a quarter of a second
    of Redis time, and all thousand callers waited for the last reply while the worker
    had nothing else to do; Redis then idled while they all ran. Traced in a sustained
    run, such a write took 600 to 990 ms from send to its last reply. With smaller writes
    the first callers go on while Redis runs the rest.
    """

    def __init__(self, client: aioredis.Redis) -> None:
        self._client = client
        self.connection = _multiplexed(client)
        """Our own pipelined connection when the client's is plain TCP, else None
        (redis-py's pipeline then)."""
        self._turns: TurnBatch[tuple[Any, ...], Any] = TurnBatch(self._send, FLUSH_MAX)

    def evalsha(self, *args: Any) -> asyncio.Future[Any]:
        return self._turns.submit(args)

    async def _send(self, calls: Sequence[tuple[Any, ...]]) -> list[Any]:
        """One write of `calls`; each reply, or error, in their order."""
        connection = self.connection
        if connection is None:
            return await self._via_redis_py(calls)
        answers: list[Any] = [None] * len(calls)
        packed: list[bytes] = []
        sent: list[int] = []
        for index, args in enumerate(calls):
            try:
                packed.append(pack(("EVALSHA", *args)))
            except Exception as exc:  # the protocol cannot carry an argument: fails alone
                answers[index] = exc
                continue
            sent.append(index)
        if packed:
            for index, reply in zip(sent, await connection.execute(packed), strict=True):
                answers[index] = reply
        return answers

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
        if name not in self.sha:
            await self.load(name)
        started = time.perf_counter()
        try:
            return await self._evalsha(name, keys, args)
        except NoScriptError:
            await self.load(name)
            return await self._evalsha(name, keys, args)
        finally:
            # Failed calls count too: a slow timeout is exactly what this should show.
            self._timers[name].observe(time.perf_counter() - started)

    async def _evalsha(self, name: str, keys: list[str], args: list[Any]) -> Any:
        if self._pipeline is None:
            return await self.client.evalsha(self.sha[name], len(keys), *keys, *args)
        return await self._pipeline.evalsha(self.sha[name], len(keys), *keys, *args)
