"""Turns what falls due with time into timer events on the internal timers topic.

Every worker sweeps every tenant: an offer deadline or a wrap-up end that passed, an item
that outlived its TTL (X3), and a periodic sweep of every queue (time-driven priority P4,
expiring requirements C6, records channels). A timer's id depends only on what fell due,
so two workers (or two sweeps) publishing the same timer publish the same event, which the
store applies once.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from router.contract import inputs as i
from router.contract.envelope import SCHEMA_VERSION, Event
from router.contract.ids import derive_id
from router.service.outputs import utc
from router.service.tenancy import TenantRouting

log = logging.getLogger(__name__)

SendTimer = Callable[[Event[Any]], Awaitable[None]]
DUE_BATCH = 500


class Sweeper:
    def __init__(self, tenants: Mapping[str, TenantRouting], send: SendTimer, *,
                 queue_sweep_s: float, resend_after_s: float = 10.0) -> None:
        self._tenants = tenants
        self._send = send
        self._queue_sweep_s = queue_sweep_s
        self._resend_after_s = resend_after_s
        self._sent: dict[str, float] = {}  # timer id -> when published

    async def tick(self, now: float) -> int:
        """Publishes what is due at `now`; returns how many timers it published."""
        self._forget(now)
        published = 0
        for ctx in self._tenants.values():
            for due in await ctx.store.due_offers(now, DUE_BATCH):
                published += await self._publish(now, _timer(
                    i.TimerOfferDue, ctx.id, derive_id(due.offer_id, "timer.offer_due"),
                    due.item_id, due.deadline,
                    i.OfferDueData(offer_id=due.offer_id, agent_id=due.agent_id)))
            for item_id in await ctx.store.due_wrap_ups(now, DUE_BATCH):
                published += await self._publish(now, _timer(
                    i.TimerWrapUpDue, ctx.id, derive_id(item_id, "timer.wrap_up_due"),
                    item_id, now, i.WrapUpDueData()))
            for item_id in await ctx.store.due_expiries(now, DUE_BATCH):
                published += await self._publish(now, _timer(
                    i.TimerItemExpired, ctx.id, derive_id(item_id, "timer.item_expired"),
                    item_id, now, i.ItemExpiredData()))
            if self._queue_sweep_s > 0:
                tick = math.floor(now / self._queue_sweep_s)
                for queue_id in ctx.queues:
                    published += await self._publish(now, _timer(
                        i.TimerQueueSweep, ctx.id,
                        derive_id(queue_id, "timer.queue_sweep", tick), queue_id,
                        tick * self._queue_sweep_s, i.QueueSweepData(queue=queue_id)))
        return published

    async def _publish(self, now: float, event: Event[Any]) -> int:
        """Once per `resend_after_s`: the timer is normally handled well before then; if
        it is still due after that (lost, or its worker died), it goes out again."""
        if event.id in self._sent:
            return 0
        await self._send(event)
        self._sent[event.id] = now
        return 1

    def _forget(self, now: float) -> None:
        stale = [k for k, sent in self._sent.items() if now - sent >= self._resend_after_s]
        for key in stale:
            del self._sent[key]


def _timer(cls: type[Event[Any]], tenant: str, event_id: str, subject: str, at: float,
           data: Any) -> Event[Any]:
    return cls(id=event_id, tenant=tenant, time=utc(at), source="router/sweeper",
               subject=subject, schema_version=SCHEMA_VERSION, data=data)
