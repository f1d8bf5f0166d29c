"""The store on Redis (standalone or Cluster): Lua for every mutation and bounded read.

``RedisBackend`` owns the client and the loaded scripts; ``backend.tenant(t)`` gives the
``Store`` of one tenant (cheap, no I/O). Each call is one EVALSHA whose keys all carry the
tenant's hash tag, so it runs on one shard, atomically.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from typing import Any, cast

from msgspec import structs
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import ResponseError

from router.core.types import AgentState, WorkItem
from router.settings import redis_url_problem
from router.state import codec, keys
from router.state.codec import SEP, num
from router.state.member import encode_member
from router.state.model import (
    DEFAULT_CONFIG,
    DueOffer,
    ItemRecord,
    OfferCommit,
    OfferRecord,
    Outcome,
    QueuedItem,
    StoreConfig,
)
from router.state.multiplex import CONNECT_TIMEOUT_S, REPLY_TIMEOUT_S
from router.state.scripts import Client, Scripts
from router.state.store import WrapUpMode
from router.state.turn_batch import TurnBatch

ADMIT_BATCH_MAX = 64
"""New items per admit_items.lua call: the script holds Redis for a few milliseconds at
most, and a turn's admissions still share calls."""
ADMISSION_FAILED = -1
"""admit_items.lua's first element of the reply of an item whose admission raised."""


def _given(outcome: Outcome, duplicate: bool, outputs: Sequence[str] | None) -> Outcome:
    """A fresh success is recorded with the outputs given but not sent back: they are
    the ones just given (unless the script dropped them: Outcome.not_waiting)."""
    if not duplicate and outputs and outcome.ok and not outcome.not_waiting:
        return structs.replace(outcome, outputs=tuple(outputs))
    return outcome


def _charge_args(offer: OfferCommit) -> list[str]:
    """Units, profiles, their default limits, allowed presences and the deadline: the
    arguments commit_offer.lua and admit_items.lua take in this order."""
    return [str(offer.units), SEP.join(offer.profiles),
            SEP.join(str(offer.profile_defaults.get(p, 0)) for p in offer.profiles),
            SEP.join(offer.allowed_presences),
            "" if offer.deadline is None else num(offer.deadline)]


POOL_CONNECTIONS = 100
"""Connections of a backend's pool for plain commands (scripts share one pipelined
connection on a standalone Redis: scripts.py)."""
POOL_WAIT_S = 10.0
"""How long a command waits for a free connection before it fails (as a transient
error: the event is retried)."""


class RedisBackend:
    def __init__(self, client: Client, config: StoreConfig = DEFAULT_CONFIG) -> None:
        self.client = client
        self.config = config
        self.scripts = Scripts(client)

    @classmethod
    def from_url(
        cls, url: str, *, cluster: bool = False, config: StoreConfig = DEFAULT_CONFIG,
        reply_timeout_s: float = REPLY_TIMEOUT_S,
    ) -> RedisBackend:
        """reply_timeout_s: how long any call waits for Redis to answer before it fails
        (TimeoutError, retried by the input handling), unless the URL sets its own
        `socket_timeout`. redis-py waits for ever by default, and the multiplexed
        connection's watchdog covers only scripts: a Redis paused or cut off without a
        reset held every plain read (an offer, a recorded result, the outbox cursor,
        the readiness ping) until TCP keepalive noticed, minutes to hours. On Redis
        Cluster the bound is per attempt: redis-py's cluster client retries a call that
        timed out (refreshing its map of the slots first) up to its own retry limit."""
        import redis.asyncio as aioredis

        problem = redis_url_problem(url)
        if problem:
            raise ValueError(f"Redis URL: {problem}")  # not the URL: it may hold a password
        timeouts = {"socket_timeout": reply_timeout_s,
                    "socket_connect_timeout": CONNECT_TIMEOUT_S}
        if cluster:
            return cls(RedisCluster.from_url(url, **timeouts), config)
        # Callers beyond the pool's size wait for a connection instead of failing: a
        # worker handles several batches of 500 events at once (ROUTER_BATCHES_IN_FLIGHT),
        # and redis-py's plain pool raised "Too many connections" past 100 concurrent
        # reads (seen in a scale-out run, each one a retried event).
        pool = aioredis.BlockingConnectionPool.from_url(
            url, max_connections=POOL_CONNECTIONS, timeout=POOL_WAIT_S, **timeouts)
        return cls(aioredis.Redis.from_pool(pool), config)

    async def load_scripts(self) -> None:
        await self.scripts.load()

    def tenant(self, tenant: str) -> RedisStore:
        return RedisStore(self, tenant)

    async def aclose(self) -> None:
        await self.scripts.aclose()
        await self.client.aclose()


class RedisStore:
    def __init__(self, backend: RedisBackend, tenant: str) -> None:
        self._b = backend
        self._tenant = tenant
        self._p = keys.prefix(tenant)
        self._ready_agents: dict[str, tuple[dict[str, tuple[str, AgentState]], int]] = {}
        self._ready_epoch = backend.scripts.epoch
        """Per queue: the agents its last `candidate_agents` returned, by id, with the
        change number they were decoded at; and the tenant's change number then."""
        self._admissions: TurnBatch[list[Any], list[Any]] = TurnBatch(
            self._admit_many, ADMIT_BATCH_MAX)
        c = backend.config
        self._common = [
            num(c.seen_retention_seconds),
            str(c.seen_max),
            str(c.trim_batch),
        ]

    @property
    def tenant(self) -> str:
        return self._tenant

    async def _mutate(
        self,
        script: str,
        event_id: str,
        now: float,
        outputs: Sequence[str] | None,
        keys_: list[str],
        args: list[Any],
    ) -> Outcome:
        t = self._tenant
        all_keys = [keys.seen_events(t), keys.results(t), *keys_]
        dup, raw = await self._b.scripts.run(
            script, all_keys, [*self._common_args(event_id, now, outputs), *args])
        return _given(codec.decode_outcome(raw, bool(dup), event_id), bool(dup), outputs)

    def _common_args(self, event_id: str, now: float,
                     outputs: Sequence[str] | None) -> list[Any]:
        """ARGV[1..8] of every mutation script (_lib.lua's header)."""
        return [self._p, event_id, num(now), *self._common, codec.outputs_arg(outputs),
                str(self._b.config.terminal_ttl_seconds)]

    def _offer_keys(self, offer: OfferCommit) -> list[str]:
        """KEYS[3..7] of commit_offer.lua."""
        t = self._tenant
        return [keys.work_item(t, offer.item_id), keys.agent(t, offer.agent_id),
                keys.offer(t, offer.offer_id), keys.offers_due(t),
                keys.agent_offers(t, offer.agent_id)]

    # -- mutations ----------------------------------------------------------------------

    async def upsert_item(
        self,
        event_id: str,
        item: WorkItem,
        *,
        queue: str | None,
        bucket: int,
        order_key: Sequence[float],
        now: float,
        outputs: Sequence[str] | None = (),
        revoking: str | None = None,
    ) -> Outcome:
        member = encode_member(bucket, order_key, item.id)
        return await self._mutate(
            "upsert_item",
            event_id,
            now,
            outputs,
            [keys.work_item(self._tenant, item.id)],
            [item.id, codec.encode_item(item), queue or "", member,
             "" if revoking is None else "1", revoking or ""],
        )

    async def admit_item(
        self,
        event_id: str,
        item: WorkItem,
        *,
        queue: str,
        bucket: int,
        order_key: Sequence[float],
        now: float,
        outputs: Sequence[str],
        offer_event_id: str,
        offer: OfferCommit,
        offer_outputs: Sequence[str],
    ) -> tuple[Outcome, Outcome | None]:
        """Admissions of one loop turn share script calls (admit_items.lua); each is
        still exactly the two steps it stands for, and fails on its own."""
        args = [
            event_id, num(now), codec.outputs_arg(outputs), item.id, codec.encode_item(item),
            queue, encode_member(bucket, order_key, item.id), offer_event_id,
            codec.outputs_arg(offer_outputs), offer.agent_id, offer.offer_id,
            *_charge_args(offer),
        ]
        reply = await self._admissions.submit(args)
        upserted = _given(codec.decode_outcome(reply[1], bool(reply[0]), event_id),
                          bool(reply[0]), outputs)
        if len(reply) == 2:
            return upserted, None
        committed = codec.decode_outcome(reply[3], bool(reply[2]), offer_event_id)
        return upserted, _given(committed, bool(reply[2]), offer_outputs)

    def _admit_many(self, admissions: Sequence[list[Any]]
                    ) -> Awaitable[list[list[Any] | BaseException]]:
        """Queues the call for its write at once where calls are pipelined and the script
        is loaded (Scripts.start): the admissions of a batch are encoded one after
        another, and Redis runs each call while the worker encodes the next."""
        t = self._tenant
        # The event, its time and its outputs come with each admission (admit_items.lua).
        flat = [*self._common_args("", 0.0, None), str(len(admissions))]
        for args in admissions:
            flat.extend(args)
        return self._admitted(self._b.scripts.start(
            "admit_items", [keys.seen_events(t), keys.results(t)], flat))

    @staticmethod
    async def _admitted(call: Awaitable[Any]) -> list[list[Any] | BaseException]:
        replies = await call
        return [ResponseError(codec.text(reply[1])) if reply[0] == ADMISSION_FAILED
                else list(reply) for reply in replies]

    async def upsert_items_pipelined(
        self,
        rows: Sequence[tuple[str, WorkItem, str | None, int, Sequence[float], float]],
        chunk: int = 5_000,
    ) -> int:
        """Bulk ``upsert_item`` for back-fills and benchmarks: rows of
        ``(event_id, item, queue, bucket, order_key, now)`` sent as pipelined EVALSHA
        (one script call per item, same semantics; outcomes are not returned)."""
        t = self._tenant
        await self._b.scripts.load("upsert_item")
        sha = self._b.scripts.sha["upsert_item"]
        for start in range(0, len(rows), chunk):
            pipe = self._b.client.pipeline(transaction=False)
            for event_id, item, queue, bucket, order_key, now in rows[start : start + chunk]:
                args: list[str | bytes] = [
                    *self._common_args(event_id, now, ()), item.id,
                    codec.encode_item(item), queue or "",
                    encode_member(bucket, order_key, item.id),
                ]
                pipe.evalsha(sha, 3, keys.seen_events(t), keys.results(t),
                             keys.work_item(t, item.id), *args)
            await pipe.execute()
        return len(rows)

    async def upsert_agent(
        self,
        event_id: str,
        agent: AgentState,
        *,
        now: float,
        base_presence: str | None = None,
        outputs: Sequence[str] | None = (),
    ) -> Outcome:
        t = self._tenant
        base = codec.base_presence_of(agent, base_presence)
        profiles = sorted(agent.profile_limits)
        return await self._mutate(
            "upsert_agent",
            event_id,
            now,
            outputs,
            [keys.agent(t, agent.id), keys.agent_offers(t, agent.id)],
            [
                agent.id,
                codec.encode_agent(agent),
                base,
                "1" if base in self._b.config.indexed_presences else "0",
                str(agent.total_units),
                SEP.join(dict.fromkeys(agent.queues)),
                SEP.join(profiles),
                SEP.join(str(agent.profile_limits[p]) for p in profiles),
                "1" if base == "offline" else "0",
            ],
        )

    async def commit_offer(
        self, event_id: str, offer: OfferCommit, *, now: float, outputs: Sequence[str] | None = ()
    ) -> Outcome:
        return await self._mutate(
            "commit_offer",
            event_id,
            now,
            outputs,
            self._offer_keys(offer),
            [offer.item_id, offer.agent_id, offer.offer_id, offer.queue,
             str(offer.item_version), *_charge_args(offer), "1" if offer.manual else "0"],
        )

    async def _resolve(
        self,
        action: str,
        event_id: str,
        offer_id: str,
        now: float,
        outputs: Sequence[str] | None,
        decline_limit: int = 3,
        max_distinct: int = 100,
    ) -> Outcome:
        return await self._mutate(
            "resolve_offer",
            event_id,
            now,
            outputs,
            [keys.offer(self._tenant, offer_id)],
            [action, offer_id, str(decline_limit), str(max_distinct)],
        )

    async def accept(
        self, event_id: str, offer_id: str, *, now: float, outputs: Sequence[str] | None = ()
    ) -> Outcome:
        return await self._resolve("accept", event_id, offer_id, now, outputs)

    async def decline(
        self,
        event_id: str,
        offer_id: str,
        *,
        now: float,
        decline_limit: int = 3,
        max_distinct_declines: int = 100,
        outputs: Sequence[str] | None = (),
    ) -> Outcome:
        return await self._resolve(
            "decline", event_id, offer_id, now, outputs, decline_limit, max_distinct_declines
        )

    async def expire(
        self,
        event_id: str,
        offer_id: str,
        *,
        now: float,
        decline_limit: int = 3,
        max_distinct_declines: int = 100,
        outputs: Sequence[str] | None = (),
    ) -> Outcome:
        return await self._resolve(
            "expire", event_id, offer_id, now, outputs, decline_limit, max_distinct_declines
        )

    async def revoke(
        self, event_id: str, offer_id: str, *, now: float, outputs: Sequence[str] | None = ()
    ) -> Outcome:
        return await self._resolve("revoke", event_id, offer_id, now, outputs)

    async def _finish(
        self,
        action: str,
        event_id: str,
        item_id: str,
        now: float,
        outputs: Sequence[str] | None,
        wrap_up: str = "until_closed",
        release_at: float | None = None,
    ) -> Outcome:
        t = self._tenant
        return await self._mutate(
            "finish_item",
            event_id,
            now,
            outputs,
            [keys.work_item(t, item_id), keys.wrapup_due(t), keys.item_declines(t, item_id)],
            [action, item_id, wrap_up, "" if release_at is None else num(release_at)],
        )

    async def complete(
        self,
        event_id: str,
        item_id: str,
        *,
        now: float,
        wrap_up: WrapUpMode = "until_closed",
        release_at: float | None = None,
        outputs: Sequence[str] | None = (),
    ) -> Outcome:
        if wrap_up == "seconds" and release_at is None:
            raise ValueError("wrap_up='seconds' needs release_at")
        return await self._finish("complete", event_id, item_id, now, outputs, wrap_up, release_at)

    async def release_wrap_up(
        self, event_id: str, item_id: str, *, now: float, outputs: Sequence[str] | None = ()
    ) -> Outcome:
        return await self._finish("release", event_id, item_id, now, outputs)

    async def close(
        self, event_id: str, item_id: str, *, now: float, outputs: Sequence[str] | None = ()
    ) -> Outcome:
        return await self._finish("close", event_id, item_id, now, outputs)

    async def cancel(
        self, event_id: str, item_id: str, *, now: float, outputs: Sequence[str] | None = ()
    ) -> Outcome:
        return await self._finish("cancel", event_id, item_id, now, outputs)

    async def expire_item(
        self, event_id: str, item_id: str, *, now: float, outputs: Sequence[str] | None = ()
    ) -> Outcome:
        return await self._finish("expire", event_id, item_id, now, outputs)

    async def schedule_expiry(self, item_id: str, at: float) -> None:
        await self._b.client.zadd(keys.item_expiries(self._tenant), {item_id: at})

    # -- reads ----------------------------------------------------------------------------

    async def top_items(self, queue: str, limit: int, offset: int = 0) -> list[QueuedItem]:
        if limit <= 0:
            return []
        rows = await self._b.scripts.run(
            "read_queue", [keys.queue_items(self._tenant, queue)],
            [self._p, str(limit), str(max(offset, 0))],
        )
        out = []
        for member, snap, version, declines in rows:
            counts = {
                declines[i].decode(): int(declines[i + 1]) for i in range(0, len(declines), 2)
            }
            out.append(
                QueuedItem(
                    item=codec.with_declines(codec.decode_item(snap), counts),
                    version=int(version),
                    member=member.decode(),
                )
            )
        return out

    async def reorder(self, queue: str,
                      moves: Sequence[tuple[str, int, int, Sequence[float]]]) -> int:
        if not moves:
            return 0
        args: list[str] = [self._p, queue]
        for item_id, version, bucket, order_key in moves:
            args += [item_id, str(version), encode_member(bucket, order_key, item_id)]
        moved = await self._b.scripts.run(
            "reorder_queue", [keys.queue_items(self._tenant, queue)], args)
        return int(moved)

    async def candidate_agents(self, queue: str, limit: int) -> list[AgentState]:
        """The queue's ready agents. Those unchanged since the last read of this queue
        come from that read instead of being sent and decoded again, which was most of
        an item cycle's cost: the read names the tenant's change number it last saw, and
        the script sends whole only the agents changed after it."""
        if limit <= 0:
            return []
        scripts = self._b.scripts
        ready = keys.queue_ready(self._tenant, queue)
        while True:
            sent_under = scripts.epoch
            if sent_under != self._ready_epoch:  # change numbers may repeat now
                self._ready_agents, self._ready_epoch = {}, sent_under
            held, since = self._ready_agents.get(queue, ({}, None))
            reply = await scripts.run("read_agents", [ready],
                                      [self._p, str(limit), "" if since is None else str(since)])
            # The loss may come to light in this very call (NOSCRIPT, a reconnect): then
            # the change number just sent is not to be trusted; read again, holding none.
            if since is not None and scripts.epoch != sent_under:
                continue
            agents = self._ready_from(queue, reply, held, since)
            if agents is not None:
                return agents
            # An agent came by id that this read does not hold (it moved into the first
            # `limit` without changing): read the queue whole.
            self._ready_agents.pop(queue, None)

    def _ready_from(self, queue: str, reply: list[Any],
                    held: dict[str, tuple[str, AgentState]],
                    since: int | None) -> list[AgentState] | None:
        """The agents of a read_agents reply, held ones reused; None if one came by id
        that is not held at that change number."""
        now_cv, pairs, whole = int(reply[0]), reply[1], reply[2:]
        if since is not None and since > now_cv:
            since = None  # the counter went back (data lost): the script sent all whole
        fresh: dict[str, tuple[str, AgentState]] = {}
        agents = []
        sent = iter(whole)
        for n in range(0, len(pairs), 2):
            agent_id, cv = pairs[n].decode(), pairs[n + 1].decode()
            if not cv or since is None or int(cv) > since:
                fields = next(sent)
                agent = codec.agent_from_hash(
                    {fields[i]: fields[i + 1] for i in range(0, len(fields), 2)})
            else:
                kept = held.get(agent_id)
                if kept is None or kept[0] != cv:
                    return None
                agent = kept[1]
            if cv:
                fresh[agent_id] = (cv, agent)
            agents.append(agent)
        self._ready_agents[queue] = (fresh, now_cv)
        return agents

    async def _due(self, key: str, now: float, limit: int, kind: str) -> list[Any]:
        if limit <= 0:
            return []
        rows: list[Any] = await self._b.scripts.run(
            "read_due", [key], [self._p, num(now), str(limit), kind]
        )
        return rows

    async def due_offers(self, now: float, limit: int) -> list[DueOffer]:
        rows = await self._due(keys.offers_due(self._tenant), now, limit, "offers")
        return [
            DueOffer(
                offer_id=o.decode(), deadline=float(d), item_id=i.decode(), agent_id=a.decode()
            )
            for o, d, i, a in rows
        ]

    async def due_wrap_ups(self, now: float, limit: int) -> list[str]:
        rows = await self._due(keys.wrapup_due(self._tenant), now, limit, "wrapups")
        return [row[0].decode() for row in rows]

    async def due_expiries(self, now: float, limit: int) -> list[str]:
        rows = await self._due(keys.item_expiries(self._tenant), now, limit, "expiries")
        return [row[0].decode() for row in rows]

    async def queue_depth(self, queue: str) -> int:
        depth: int = await self._b.client.zcard(keys.queue_items(self._tenant, queue))
        return depth

    async def _hgetall(self, key: str) -> dict[bytes, bytes]:
        fields = await self._b.client.hgetall(key)
        return cast(dict[bytes, bytes], fields)

    async def get_item(self, item_id: str) -> ItemRecord | None:
        t = self._tenant
        f = await self._hgetall(keys.work_item(t, item_id))
        if not f or b"snap" not in f:
            return None
        raw = await self._hgetall(keys.item_declines(t, item_id))
        declines = {k.decode(): int(v) for k, v in raw.items()}

        def text(name: bytes) -> str | None:
            value = f.get(name)
            return value.decode() if value else None

        return ItemRecord(
            item=codec.with_declines(codec.decode_item(f[b"snap"]), declines),
            state=f[b"st"].decode(),
            version=int(f[b"v"]),
            queue=text(b"q"),
            member=text(b"m"),
            offer_id=text(b"o"),
            agent_id=text(b"a"),
            held=f.get(b"h") == b"1",
            units=int(f.get(b"u") or 0),
            profiles=tuple(p for p in (text(b"pf") or "").split(SEP) if p),
        )

    async def get_agent(self, agent_id: str) -> AgentState | None:
        f = await self._hgetall(keys.agent(self._tenant, agent_id))
        if not f:
            return None
        return codec.agent_from_hash(f)

    async def requeue(
        self,
        event_id: str,
        item_id: str,
        *,
        queue: str,
        bucket: int,
        order_key: Sequence[float],
        limit: int,
        now: float,
        outputs: Sequence[str] | None = (),
    ) -> Outcome:
        return await self._mutate(
            "requeue_item",
            event_id,
            now,
            outputs,
            [keys.work_item(self._tenant, item_id)],
            [item_id, queue, encode_member(bucket, order_key, item_id), str(limit)],
        )

    async def fill_outbox(self, seq: int, outputs: Sequence[str]) -> None:
        t = self._tenant
        await self._b.scripts.run(
            "outbox_fill",
            [keys.outbox_slots(t), keys.outbox_cursor(t), keys.outbox_skipped(t),
             keys.outbox_late(t)],
            [str(seq), codec.outputs_arg(outputs), keys.outbox_wake(t)],
        )

    async def recorded(self, event_id: str) -> Outcome | None:
        raw = await self._b.client.hget(keys.results(self._tenant), event_id)
        return None if raw is None else codec.decode_outcome(raw, True, event_id)

    async def get_offer(self, offer_id: str) -> OfferRecord | None:
        f = await self._hgetall(keys.offer(self._tenant, offer_id))
        if not f:
            return None
        deadline = f[b"dl"].decode()
        return OfferRecord(
            offer_id=offer_id,
            item_id=f[b"item"].decode(),
            agent_id=f[b"agent"].decode(),
            queue=f[b"queue"].decode(),
            state=f[b"st"].decode(),
            item_version=int(f[b"v"]),
            units=int(f[b"u"]),
            profiles=tuple(p for p in f[b"pf"].decode().split(SEP) if p),
            deadline=float(deadline) if deadline else None,
            created_at=float(f[b"at"]),
        )
