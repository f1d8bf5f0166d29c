"""Publishes each tenant's outbox, in slot order, from whichever worker holds its lease.

Why an outbox: a commit and the publication of its outputs cannot be one step, so two
workers publishing their own outputs could invert them on an item's partition (an
offer's expiry from one worker landing after the item's next offer from another). The
commit scripts number the outputs instead, and one relay per tenant publishes them in
that order. It also frees input handling from waiting for the broker: an input counts as
handled once its outputs are in Redis, and the relay batches publications.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import msgspec
import orjson

from router.contract.topics import output_topic
from router.observability import metrics
from router.state.outbox import Batch, RedisOutbox
from router.streams.output_producer import Record

log = logging.getLogger(__name__)

SendBatch = Callable[[Sequence[Record]], Awaitable[None]]
"""Publishes (topic, key, value) records in order; returns once the broker acknowledged
every one, raises if any failed."""
Observe = Callable[[Sequence[Any]], None]


class HeadData(msgspec.Struct, frozen=True):
    """The data fields the output statistics read (observability/outputs.py)."""

    queue: str | None = None
    bucket: str | None = None
    offer_id: str | None = None
    via: str | None = None


class Head(msgspec.Struct, frozen=True):
    """What publishing an output needs of it (topic, key) and what its statistics read:
    decoded without building the rest (an offer's explanation is most of its bytes)."""

    type: str
    tenant: str
    subject: str
    time: str | None = None
    data: HeadData = HeadData()


_HEAD = msgspec.json.Decoder(Head)

BATCH_SLOTS = 500
STALL_SECONDS = 60.0
"""How long a reserved slot may hold up its tenant's outputs before the relay skips it.
A worker killed between a commit and the fill leaves its input unacknowledged, and the
redelivery fills the slot well within this (session timeout plus restart)."""


class OutboxRelay:
    def __init__(self, outboxes: Sequence[RedisOutbox], send: SendBatch, prefix: str, *,
                 observe: Observe | None = None, batch_slots: int = BATCH_SLOTS,
                 idle_s: float = 0.02, standby_s: float = 0.5,
                 stall_s: float = STALL_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._outboxes = outboxes
        self._send = send
        self._prefix = prefix
        self._observe = observe
        self._batch_slots = batch_slots
        self._idle_s = idle_s
        self._standby_s = standby_s
        self._stall_s = stall_s
        self._clock = clock
        self._wakeup = asyncio.Event()
        self._blocked: dict[str, tuple[int, float]] = {}  # tenant -> (slot, since)
        self._taken: dict[str, Batch] = {}
        """Tenant -> its next batch, taken together with the last one's acknowledgement."""
        self.holding: set[str] = set()
        """Tenants whose lease this relay held at its last look."""

    def wake(self) -> None:
        """New outputs were committed (a commit's wake message): publish now rather than
        at the next poll."""
        self._wakeup.set()

    async def run(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            self._wakeup.clear()  # before the round: a wake during it means look again
            try:
                await self.run_once()
            except Exception:  # Redis or Kafka trouble: nothing was acknowledged, retry
                log.exception("outbox relay round failed; retrying")
                self._taken.clear()
                await asyncio.sleep(self._standby_s)
            # Straight on only with a batch in hand: a round that published and found
            # nothing after its acknowledgement waits like an empty one, for the next
            # commit's wake (set since the round began, it returns at once) or the poll.
            # Looking again at once cost a take per round that almost always came back
            # empty: a third of the relay's Redis calls when items arrive one by one.
            if not self._taken:
                wait = self._idle_s if self.holding else self._standby_s
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), wait)

    async def run_once(self) -> int:
        """One round over every tenant; how many events it published."""
        published = 0
        for outbox in self._outboxes:
            tenant = outbox.tenant
            batch = self._taken.pop(tenant, None)
            if batch is None:
                batch = await outbox.take(self._batch_slots)
            if batch is None:
                self.holding.discard(tenant)
                continue
            self.holding.add(tenant)
            if not batch.empty:
                published += await self._publish(batch)
                # The next batch comes with the acknowledgement: kept only if it has
                # something to publish (an empty one would be stale by the next round).
                acked, following = await outbox.ack_and_take(batch, self._batch_slots)
                if not acked:
                    log.warning("%s: relay lease lost mid-batch; the new holder republishes",
                                tenant)
                    continue
                if following is not None and not following.empty:
                    self._taken[tenant] = following
            metrics.OUTBOX_BACKLOG.labels(tenant).set(batch.left)
            await self._watch_blocked(outbox, batch)
        return published

    async def release(self) -> None:
        """Give up held leases (graceful stop) so another worker takes over at once."""
        self._taken.clear()  # unpublished: the next holder takes them again
        for outbox in self._outboxes:
            if outbox.tenant in self.holding:
                batch = await outbox.take(0)
                if batch is not None:
                    await outbox.ack(batch, release=True)
        self.holding.clear()

    async def _publish(self, batch: Batch) -> int:
        records: list[Record] = []
        heads: list[Head] = []
        topics: dict[str, str] = {}
        read_head = _HEAD.decode
        for payload in (*batch.late, *batch.slots):
            for raw in orjson.loads(payload):
                head = read_head(raw)
                heads.append(head)
                topic = topics.get(head.type)
                if topic is None:
                    topic = topics[head.type] = output_topic(head.type, self._prefix)
                records.append((topic, f"{head.tenant}/{head.subject}".encode(), raw.encode()))
        await self._send(records)
        for (tenant, kind), count in Counter((h.tenant, h.type) for h in heads).items():
            metrics.series(metrics.OUTPUTS_PUBLISHED, tenant, kind).inc(count)
        if self._observe is not None and heads:
            self._observe(heads)
        return len(heads)

    async def _watch_blocked(self, outbox: RedisOutbox, batch: Batch) -> None:
        tenant = outbox.tenant
        if not batch.blocked:
            self._blocked.pop(tenant, None)
            return
        slot, since = self._blocked.get(tenant, (batch.blocked, self._clock()))
        if slot != batch.blocked:
            slot, since = batch.blocked, self._clock()
        self._blocked[tenant] = (slot, since)
        if self._clock() - since >= self._stall_s and await outbox.skip(slot):
            metrics.OUTBOX_SKIPPED.labels(tenant).inc()
            log.error("%s: outbox slot %d was reserved but not filled for %.0f s; skipped "
                      "(if its outputs arrive later they are published then, out of order)",
                      tenant, slot, self._stall_s)
            self._blocked.pop(tenant, None)
