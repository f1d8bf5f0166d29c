"""Sets the real-time state gauges (SPEC E2) from Redis every few seconds.

Why one reporter per tenant: every worker sees the same Redis, so if all of them set the
gauges, sum() over workers would multiply the depths. ``is_reporter(tenant)`` decides
(the worker holding the tenant's outbox lease is a natural choice); a worker that stops
reporting a tenant removes its series, so exactly one worker exports them.

It is a plain asyncio task with ``start``/``stop``, independent of Faust and mode, so the
worker, a test or a stand-alone exporter can run it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from prometheus_client import Gauge

from router.config.model import Queue, Tenant
from router.core.decide import decide_for_item
from router.core.decision import Offer
from router.core.policy import Policy
from router.observability import metrics
from router.observability.background import Background
from router.observability.state_reads import QueueState, read_agents, read_offered, read_queue
from router.state.model import BASE_PRESENCES
from router.state.redis_store import RedisBackend

log = logging.getLogger(__name__)

INTERVAL_S = 5.0
CANDIDATES = 200
"""Ready agents a head item is checked against (the service's own candidate limit)."""
IsReporter = Callable[[str], bool]
ITEM_STATES = ("queued", "manual", "offered")


class StateCollector:
    def __init__(self, backend: RedisBackend, tenants: Mapping[str, Tenant],
                 is_reporter: IsReporter = lambda _tenant: True,
                 interval_s: float = INTERVAL_S,
                 clock: Callable[[], float] = time.time) -> None:
        if interval_s <= 0:
            raise ValueError(f"interval_s {interval_s}: must be positive")
        self._backend = backend
        self._client = backend.client
        self._tenants = tenants
        self._policies = {t: Policy.from_tenant(tenant) for t, tenant in tenants.items()}
        self._is_reporter = is_reporter
        self._interval_s = interval_s
        self._clock = clock
        self._background = Background("state-stats")
        self._series: dict[str, set[tuple[Gauge, tuple[str, ...]]]] = {}
        """Tenant -> the (gauge, labels) this process last set, to remove them later."""

    def start(self) -> None:
        self._background.start(self._run)

    async def stop(self) -> None:
        await self._background.stop()
        for tenant in list(self._series):
            self._drop(tenant)

    async def _run(self) -> None:
        while True:
            await self.collect_once()
            await asyncio.sleep(self._interval_s)

    async def collect_once(self) -> None:
        """One round over every tenant (the tests call it directly)."""
        for tenant_id, tenant in self._tenants.items():
            if not self._is_reporter(tenant_id):
                self._drop(tenant_id)
                continue
            try:
                series = await self._collect(tenant)
            except Exception:  # Redis away: keep the last values, try next round
                log.exception("%s: reading state statistics failed", tenant_id)
                metrics.STATE_COLLECTIONS.labels(tenant_id, "failed").inc()
                continue
            for stale in self._series.get(tenant_id, set()) - series:
                _remove(*stale)
            self._series[tenant_id] = series
            metrics.STATE_COLLECTIONS.labels(tenant_id, "ok").inc()

    async def _collect(self, tenant: Tenant) -> set[tuple[Gauge, tuple[str, ...]]]:
        t = tenant.id
        now = self._clock()
        series: set[tuple[Gauge, tuple[str, ...]]] = set()

        def put(gauge: Gauge, labels: Iterable[str], value: float) -> None:
            key = tuple(labels)
            gauge.labels(*key).set(value)
            series.add((gauge, key))

        offered = await read_offered(self._client, t, [q.id for q in tenant.queues])
        for queue in tenant.queues:
            state = await read_queue(self._client, t, queue, now)
            for bucket, depth in state.depth.items():
                put(metrics.QUEUE_DEPTH, (t, queue.id, bucket), depth)
            put(metrics.QUEUE_OLDEST_WAIT, (t, queue.id), state.oldest_wait)
            counts = {"queued": state.total, "manual": state.manual,
                      "offered": offered.get(queue.id, 0)}
            for name in ITEM_STATES:
                put(metrics.ITEMS, (t, queue.id, name), counts[name])
            put(metrics.QUEUE_ASSIGNABLE, (t, queue.id),
                await self._assignable(tenant, queue, state, now))
        agents = await read_agents(self._client, t)
        if agents.truncated:
            log.warning("%s: more agents than the statistics read; counts are partial", t)
        for presence in BASE_PRESENCES:
            put(metrics.AGENTS, (t, presence), agents.presence.get(presence, 0))
        for queue in tenant.queues:
            by_presence: Mapping[str, int] = agents.queue_presence.get(queue.id, {})
            for presence in BASE_PRESENCES:
                put(metrics.QUEUE_AGENTS, (t, queue.id, presence), by_presence.get(presence, 0))
            put(metrics.QUEUE_IDLE_AGENTS, (t, queue.id), agents.idle.get(queue.id, 0))
            put(metrics.CAPACITY_UNITS, (t, queue.id, "total"),
                agents.units_total.get(queue.id, 0))
            put(metrics.CAPACITY_UNITS, (t, queue.id, "used"), agents.units_used.get(queue.id, 0))
        return series

    async def _assignable(self, tenant: Tenant, queue: Queue, state: QueueState,
                          now: float) -> int:
        """Head items the core would offer right now to one of the queue's ready agents.
        Non-zero for more than a cycle means items wait while an eligible agent idles."""
        if not state.heads:
            return 0
        agents = await self._backend.tenant(tenant.id).candidate_agents(queue.id, CANDIDATES)
        if not agents:
            return 0
        workstreams = {w.id: w for w in tenant.workstreams}
        policy = self._policies[tenant.id]
        count = 0
        for item in state.heads:
            workstream = workstreams.get(item.workstream)
            if workstream is not None and isinstance(
                decide_for_item(item, queue, workstream, agents, now, policy), Offer
            ):
                count += 1
        return count

    def _drop(self, tenant: str) -> None:
        for gauge, labels in self._series.pop(tenant, set()):
            _remove(gauge, labels)


def _remove(gauge: Gauge, labels: tuple[str, ...]) -> None:
    with contextlib.suppress(KeyError):
        gauge.remove(*labels)


def tenants_by_id(tenants: Iterable[Any]) -> dict[str, Tenant]:
    """``{id: Tenant}`` from config tenants or from ``TenantRouting`` (which has ``.tenant``)."""
    out: dict[str, Tenant] = {}
    for each in tenants:
        tenant = each if isinstance(each, Tenant) else each.tenant
        out[tenant.id] = tenant
    return out
