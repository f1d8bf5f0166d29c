"""Loads the Lua scripts once (SCRIPT LOAD) and runs them by EVALSHA.

Why not ``register_script``: we want to own the reload path and test it. On NOSCRIPT
(Redis restarted, failover, ``SCRIPT FLUSH``) the script is loaded again and the call
retried once. On Redis Cluster, redis-py sends SCRIPT LOAD to every primary and routes
EVALSHA by the first key; all keys of a call carry the same ``{tenant}`` tag.

Mutation scripts get ``lua/_lib.lua`` prepended (Redis Lua has no ``require``).
"""

from __future__ import annotations

import time
from importlib import resources
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import NoScriptError

from router.observability.metrics import STORE_COMMAND_SECONDS

Client = aioredis.Redis | RedisCluster

MUTATIONS = ("upsert_item", "upsert_agent", "commit_offer", "resolve_offer", "finish_item",
             "requeue_item")
READS = ("read_queue", "read_agents", "read_due", "reorder_queue")
OUTBOX = ("outbox_fill", "outbox_take", "outbox_ack", "outbox_skip")


def source(name: str) -> str:
    """The full text of a script as it is loaded into Redis."""
    lua = resources.files("router.state").joinpath("lua")
    text = lua.joinpath(f"{name}.lua").read_text()
    if name in MUTATIONS:
        text = lua.joinpath("_lib.lua").read_text() + "\n" + text
    return text


class Scripts:
    """The router's scripts on one client (standalone or cluster)."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self._source = {name: source(name) for name in MUTATIONS + READS + OUTBOX}
        self.sha: dict[str, str] = {}
        self.loads = 0

    async def load(self, name: str | None = None) -> None:
        for each in (name,) if name else tuple(self._source):
            self.sha[each] = str(await self.client.script_load(self._source[each]))
            self.loads += 1

    async def run(self, name: str, keys: list[str], args: list[Any]) -> Any:
        if name not in self.sha:
            await self.load(name)
        started = time.perf_counter()
        try:
            return await self.client.evalsha(self.sha[name], len(keys), *keys, *args)
        except NoScriptError:
            await self.load(name)
            return await self.client.evalsha(self.sha[name], len(keys), *keys, *args)
        finally:
            # Failed calls count too: a slow timeout is exactly what this should show.
            STORE_COMMAND_SECONDS.labels(name).observe(time.perf_counter() - started)
