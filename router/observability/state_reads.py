"""Bounded, read-only looks at one tenant's Redis state for statistics (SPEC E2).

Why separate from the store: the store's reads serve decisions (top of a queue, ready
agents); statistics want counts over whole queues and every agent. Each function here is
a fixed number of round trips whose size has a stated limit, so a collector that runs
every few seconds cannot turn into a scan of a million items:

- depth by bucket: one ZLEXCOUNT per bucket (the bucket is the first four hex digits of
  the member, ``router.state.member``), all in one pipeline;
- oldest wait: the head (``head`` members) of each bucket and those items' snapshots;
  exact when a bucket is FIFO (its order ends in the FIFO time), otherwise the oldest of
  the items nearest to an offer; the same head items tell whether one could be offered
  right now (the collector asks the core);
- offered items: one HLEN per queue of the items with a pending offer there
  (``queue:<q>:offered``, kept by the commit scripts);
- agents: the tenant's agent ids (``agents``, at most ``limit``), four fields each. The
  set is kept by upsert_agent.lua; agents registered before it existed are found once by
  a SCAN, which adds them and marks the set complete (``agents:listed``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from router.config.model import Queue
from router.core.types import AgentState, WorkItem
from router.state import codec, keys
from router.state.codec import SEP
from router.state.member import item_of
from router.state.scripts import Client

AFFINITY = "affinity"
DEFAULT = "default"
HEAD = 20
MAX_AGENTS = 50_000


def bucket_names(queue: Queue) -> list[tuple[int, str]]:
    """(bucket index, label) of every bucket of the queue, in queue order. Labels match
    the ``bucket`` of ``work_item.queued``: the rule's name, ``rule N`` when unnamed."""
    names = [(-1, AFFINITY)]
    for index, rule in enumerate(queue.prioritization):
        names.append((index, rule.name or f"rule {index + 1}"))
    names.append((len(queue.prioritization), DEFAULT))
    return names


def bucket_range(bucket: int) -> tuple[str, str]:
    """The ZRANGEBYLEX bounds of every member in ``bucket``."""
    return f"[{bucket + 1:04x}", f"({bucket + 2:04x}"


@dataclass
class QueueState:
    queue: str
    depth: dict[str, int]
    """Bucket label -> waiting items (auto-assignment)."""
    manual: int
    ages: list[float]
    """Ages (seconds) of the sampled head items, oldest first."""
    heads: list[WorkItem] = field(default_factory=list)
    """The sampled head items (declines included), in queue order."""

    @property
    def total(self) -> int:
        return sum(self.depth.values())

    @property
    def oldest_wait(self) -> float:
        return self.ages[0] if self.ages else 0.0


async def read_queue(client: Client, tenant: str, queue: Queue, now: float,
                     head: int = HEAD) -> QueueState:
    items_key = keys.queue_items(tenant, queue.id)
    buckets = bucket_names(queue)
    pipe = client.pipeline(transaction=False)
    for index, _ in buckets:
        low, high = bucket_range(index)
        pipe.zlexcount(items_key, low, high)
        pipe.zrangebylex(items_key, low, high, start=0, num=head)
    pipe.zcard(keys.queue_manual(tenant, queue.id))
    replies = await pipe.execute()
    depth: dict[str, int] = {}
    heads: list[str] = []
    for n, (_, label) in enumerate(buckets):
        depth[label] = int(replies[2 * n])
        heads.extend(codec.text(m) for m in replies[2 * n + 1])
    manual = int(replies[-1])
    items = await _items(client, tenant, [item_of(m) for m in heads])
    ages = sorted((max(0.0, item.age(now)) for item in items), reverse=True)
    return QueueState(queue=queue.id, depth=depth, manual=manual, ages=ages, heads=items)


async def _items(client: Client, tenant: str, item_ids: Sequence[str]) -> list[WorkItem]:
    if not item_ids:
        return []
    pipe = client.pipeline(transaction=False)
    for item_id in item_ids:
        pipe.hget(keys.work_item(tenant, item_id), "snap")
        pipe.hgetall(keys.item_declines(tenant, item_id))
    replies = await pipe.execute()
    items = []
    for snap, declines in zip(replies[::2], replies[1::2], strict=True):
        if snap:  # gone between the two reads: it left the queue
            counts = {codec.text(k): int(v) for k, v in declines.items()}
            items.append(codec.with_declines(codec.decode_item(snap), counts))
    return items


async def read_offered(client: Client, tenant: str, queues: Sequence[str]) -> Counter[str]:
    """Queue -> items with a pending offer made in that queue (offers with a deadline):
    one HLEN per queue, however many offers are pending. The commit scripts keep the
    count (``queue:<q>:offered``); this used to walk every pending offer, which with
    tens of thousands of them cost Redis and the worker's loop tens of milliseconds
    every five seconds, and the inputs queued behind it showed it in their latency."""
    if not queues:
        return Counter()
    pipe = client.pipeline(transaction=False)
    for queue in queues:
        pipe.hlen(keys.queue_offered(tenant, queue))
    counts = await pipe.execute()
    return Counter({q: int(n) for q, n in zip(queues, counts, strict=True) if int(n)})


@dataclass
class AgentRow:
    agent: str
    presence: str
    total_units: int
    used_units: int
    queues: tuple[str, ...]


@dataclass
class AgentTally:
    """Agents by presence, overall and per queue, with the queue's capacity."""

    presence: Counter[str] = field(default_factory=Counter)
    queue_presence: dict[str, Counter[str]] = field(default_factory=dict)
    idle: Counter[str] = field(default_factory=Counter)
    units_total: Counter[str] = field(default_factory=Counter)
    units_used: Counter[str] = field(default_factory=Counter)
    truncated: bool = False

    def add(self, row: AgentRow) -> None:
        self.presence[row.presence] += 1
        for queue in row.queues:
            self.queue_presence.setdefault(queue, Counter())[row.presence] += 1
            if row.presence == "offline":
                continue
            self.units_total[queue] += row.total_units
            self.units_used[queue] += row.used_units
            if row.presence == "available" and row.used_units == 0:
                self.idle[queue] += 1


async def agent_keys(client: Client, tenant: str, limit: int, batch: int = 500
                     ) -> tuple[list[str], bool]:
    """The keys of the tenant's agent hashes (at most ``limit``) and whether there were
    more. Why a set and not a SCAN: a SCAN walks the whole keyspace, every item and offer
    too, and the collector reads the agents every few seconds."""
    listed = keys.agents(tenant)
    if not await client.exists(keys.agents_listed(tenant)):
        await _list_earlier_agents(client, tenant, batch)
    ids: list[str] = []
    async for raw in client.sscan_iter(listed, count=batch):
        if len(ids) >= limit:
            return [keys.agent(tenant, i) for i in sorted(ids)], True
        ids.append(codec.text(raw))
    return [keys.agent(tenant, i) for i in sorted(ids)], False


async def _list_earlier_agents(client: Client, tenant: str, batch: int) -> None:
    """Adds to the set the agents registered before upsert_agent.lua kept it, once per
    tenant; agents registered meanwhile add themselves."""
    offset = len(keys.agent(tenant, ""))
    found: list[str] = []
    async for key in client.scan_iter(match=keys.agent(tenant, "*"), count=batch):
        found.append(codec.text(key)[offset:])
    for start in range(0, len(found), batch):
        await client.sadd(keys.agents(tenant), *found[start : start + batch])
    await client.set(keys.agents_listed(tenant), "1")


async def read_agents(client: Client, tenant: str, limit: int = MAX_AGENTS,
                      batch: int = 500) -> AgentTally:
    """Every agent of the tenant (at most ``limit``), tallied."""
    tally = AgentTally()
    names, tally.truncated = await agent_keys(client, tenant, limit, batch)
    offset = len(keys.agent(tenant, ""))
    for start in range(0, len(names), batch):
        chunk = names[start : start + batch]
        pipe = client.pipeline(transaction=False)
        for key in chunk:
            pipe.hmget(key, ["bp", "tu", "uu", "qs"])
        for key, (bp, tu, uu, qs) in zip(chunk, await pipe.execute(), strict=True):
            if bp is None:
                continue  # listed, but its hash is gone (removed by hand)
            tally.add(AgentRow(
                agent=key[offset:],
                presence=codec.text(bp),
                total_units=int(tu or 0),
                used_units=int(uu or 0),
                queues=tuple(q for q in codec.text(qs or b"").split(SEP) if q),
            ))
    return tally


async def read_queue_agents(client: Client, tenant: str, queue: str, limit: int = MAX_AGENTS,
                            batch: int = 500) -> list[AgentState]:
    """Every agent of ``queue`` with its live capacity (at most ``limit`` agents read),
    whatever its presence: an explanation must show the offline ones too."""
    names, _ = await agent_keys(client, tenant, limit, batch)
    agents: list[AgentState] = []
    for start in range(0, len(names), batch):
        pipe = client.pipeline(transaction=False)
        for key in names[start : start + batch]:
            pipe.hgetall(key)
        for fields in await pipe.execute():
            if fields and b"snap" in fields:
                agent = codec.agent_from_hash(fields)
                if queue in agent.queues:
                    agents.append(agent)
    return sorted(agents, key=lambda a: a.id)
