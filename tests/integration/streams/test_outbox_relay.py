"""The outbox relay on real Redis and Kafka: one publisher per tenant, in commit order,
taking over from a dead one without gaps, and never stalled for good by a lost fill."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from router.contract import outputs as o
from router.contract.codec import encode
from router.contract.topics import output_topic
from router.core.types import WorkItem
from router.service.outputs import Outputs
from router.settings import Settings
from router.state.outbox import Batch, RedisOutbox
from router.state.redis_store import RedisBackend, RedisStore
from router.streams.output_producer import OutputProducer, Record
from router.streams.relay import OutboxRelay

NOW = 1_700_000_000.0


def revoked(n: int, tenant: str, item_id: str) -> str:
    out = Outputs(f"cause-{n}", tenant, datetime.fromtimestamp(NOW, UTC), "1-test")
    out.add(o.OfferRevoked, item_id, o.OfferRevokedData(
        offer_id=f"offer-{n}", agent_id="agent", reason="agent_unavailable"))
    return encode(out.events[0]).decode()


async def change(store: RedisStore, n: int, outputs: list[str] | None) -> int:
    """A recorded change (an item upsert) with the given outputs; its outbox slot."""
    outcome = await store.upsert_item(
        f"event-{n}", WorkItem(id=f"item-{n}", created_at=NOW), queue="q", bucket=0,
        order_key=(NOW,), now=NOW, outputs=outputs)
    assert outcome.seq is not None
    return outcome.seq


def test_one_relay_holds_a_tenant_and_a_successor_republishes_an_unacknowledged_batch(
    settings: Settings, tenant: str,
) -> None:
    async def scenario() -> None:
        backend = RedisBackend.from_url(settings.redis_url)
        store = backend.tenant(tenant)
        first = RedisOutbox(backend, tenant, "worker-a", lease_ms=300)
        second = RedisOutbox(backend, tenant, "worker-b", lease_ms=300)
        slots = [await change(store, n, [revoked(n, tenant, f"item-{n}")]) for n in range(3)]
        batch = await first.take(10)
        assert batch is not None and len(batch.slots) == 3 and batch.upto == slots[-1]
        assert await second.take(10) is None  # the lease is worker-a's
        await asyncio.sleep(0.4)  # worker-a "dies" before acknowledging
        taken_over = await second.take(10)
        assert taken_over is not None and taken_over.slots == batch.slots
        assert not await first.ack(batch)  # too late: nothing moves
        assert await second.ack(taken_over)
        assert await second.pending() == 0
        await backend.aclose()

    asyncio.run(scenario())


def test_a_reserved_slot_holds_back_later_ones_until_filled_or_given_up(
    settings: Settings, tenant: str,
) -> None:
    async def scenario() -> None:
        backend = RedisBackend.from_url(settings.redis_url)
        store = backend.tenant(tenant)
        outbox = RedisOutbox(backend, tenant, "worker-a")
        reserved = await change(store, 1, None)
        await change(store, 2, [revoked(2, tenant, "item-2")])
        batch = await outbox.take(10)
        assert batch is not None and batch.slots == () and batch.blocked == reserved
        await store.fill_outbox(reserved, [revoked(1, tenant, "item-1")])
        batch = await outbox.take(10)
        assert batch is not None and len(batch.slots) == 2 and batch.blocked == 0
        assert await outbox.ack(batch)

        lost = await change(store, 3, None)  # its worker died; no redelivery yet
        await change(store, 4, [revoked(4, tenant, "item-4")])
        assert await outbox.skip(lost)
        batch = await outbox.take(10)
        assert batch is not None and len(batch.slots) == 1 and batch.late == ()
        assert await outbox.ack(batch)
        await store.fill_outbox(lost, [revoked(3, tenant, "item-3")])  # arrives late
        await store.fill_outbox(lost, [revoked(3, tenant, "item-3")])  # and again
        batch = await outbox.take(10)
        assert batch is not None and len(batch.late) == 1 and batch.slots == ()
        assert await outbox.ack(batch)
        batch = await outbox.take(10)
        assert batch is not None and batch.empty
        await backend.aclose()

    asyncio.run(scenario())


def test_acknowledging_and_taking_in_one_call_is_ack_then_take(
    settings: Settings, tenant: str,
) -> None:
    """The relay's round trip per batch: what `ack` then `take` would do, late payloads
    included, and nothing at all when the acknowledgement is refused."""

    async def scenario() -> None:
        backend = RedisBackend.from_url(settings.redis_url)
        store = backend.tenant(tenant)
        outbox = RedisOutbox(backend, tenant, "worker-a", lease_ms=300)
        for n in range(3):
            await change(store, n, [revoked(n, tenant, f"item-{n}")])
        first = await outbox.take(2)
        assert first is not None and len(first.slots) == 2
        acked, second = await outbox.ack_and_take(first, 10)
        assert acked and second is not None
        assert second.cursor == first.upto and len(second.slots) == 1 and second.left == 0
        lost = await change(store, 3, None)  # reserved, its fill lost for now
        acked, third = await outbox.ack_and_take(second, 10)
        assert acked and third is not None and third.empty and third.blocked == lost
        assert await outbox.skip(lost)
        await store.fill_outbox(lost, [revoked(3, tenant, "item-3")])  # a late payload
        late = await outbox.take(10)
        assert late is not None and len(late.late) == 1 and late.slots == ()
        acked, fourth = await outbox.ack_and_take(late, 10)
        assert acked and fourth is not None and fourth.empty and fourth.late == ()
        assert await outbox.pending() == 0

        await change(store, 4, [revoked(4, tenant, "item-4")])
        stale = await outbox.take(10)
        assert stale is not None and len(stale.slots) == 1
        await asyncio.sleep(0.4)  # the lease runs out; another relay takes over
        other = RedisOutbox(backend, tenant, "worker-b")
        taken_over = await other.take(10)
        assert taken_over is not None and taken_over.slots == stale.slots
        assert await outbox.ack_and_take(stale, 10) == (False, None)
        assert await other.pending() == 1  # nothing moved; worker-b still holds the lease
        assert await outbox.take(10) is None
        await backend.aclose()

    asyncio.run(scenario())


def test_the_relay_publishes_in_commit_order_to_kafka(settings: Settings, tenant: str) -> None:
    """Changes from two concurrent committers; one relay publishes; the consumer sees
    every event once, each item's in the order of the slots, on the right topic and key."""

    slot_of: dict[int, int] = {}

    async def scenario() -> list[tuple[bytes | None, str]]:
        backend = RedisBackend.from_url(settings.redis_url)
        store = backend.tenant(tenant)
        producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
        await producer.start()

        async def send(records: Sequence[tuple[str, bytes, bytes]]) -> None:
            await asyncio.gather(*[await producer.send(topic, value=value, key=key)
                                   for topic, key, value in records])

        relay = OutboxRelay([RedisOutbox(backend, tenant, f"w-{uuid.uuid4().hex[:6]}")],
                            send, settings.topic_prefix)
        stopping = asyncio.Event()
        running = asyncio.create_task(relay.run(stopping))

        async def committer(parity: int) -> None:
            for n in range(parity, 200, 2):
                slot = await change(store, n, None)
                slot_of[n] = slot
                await store.fill_outbox(slot, [revoked(n, tenant, f"item-{n % 5}")])
                relay.wake()

        await asyncio.gather(committer(0), committer(1))
        outbox = RedisOutbox(backend, tenant, "observer")
        for _ in range(600):  # up to 30 s for the relay to catch up
            if not await outbox.pending():
                break
            await asyncio.sleep(0.05)
        stopping.set()
        await running
        await relay.release()
        await producer.stop()

        consumer = AIOKafkaConsumer(
            output_topic("offer.revoked", settings.topic_prefix),
            bootstrap_servers=settings.kafka_bootstrap, auto_offset_reset="earliest",
            group_id=f"check-{uuid.uuid4().hex[:6]}")
        await consumer.start()
        seen: list[tuple[bytes | None, str]] = []
        deadline = time.monotonic() + 30
        while len(seen) < 200 and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                seen.extend((r.key, r.value.decode()) for r in records if r.value)
        await consumer.stop()
        await backend.aclose()
        return seen

    seen = asyncio.run(scenario())
    assert len(seen) == 200
    offers_by_key: dict[bytes | None, list[int]] = {}
    for key, value in seen:
        offers_by_key.setdefault(key, []).append(int(value.split('"offer-')[1].split('"')[0]))
    assert set(offers_by_key) == {f"{tenant}/item-{k}".encode() for k in range(5)}
    for numbers in offers_by_key.values():
        assert numbers == sorted(numbers, key=slot_of.__getitem__)


class CountingOutbox(RedisOutbox):
    """The real outbox, counting the relay's calls to it, with a hook run right after
    an acknowledgement (where a commit can slip in unseen by the take that came with it)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls: list[str] = []
        self.after_ack: list[Callable[[], Awaitable[None]]] = []

    async def take(self, limit: int) -> Batch | None:
        self.calls.append("take")
        return await super().take(limit)

    async def ack_and_take(self, batch: Batch, limit: int) -> tuple[bool, Batch | None]:
        self.calls.append("ack_and_take")
        reply = await super().ack_and_take(batch, limit)
        if self.after_ack:
            await self.after_ack.pop()()
        return reply


def test_a_round_that_published_waits_for_the_next_wake_and_misses_no_commit(
    settings: Settings, tenant: str,
) -> None:
    """After publishing, the relay looks again only when woken (or at its poll, here
    far beyond the test): one take and one acknowledgement per lone commit, not a third
    take that finds nothing. A commit that lands after the acknowledgement's take but
    before the relay waits is published by the next round, without waiting for the poll;
    so is one that lands while a batch is being published."""

    async def scenario() -> None:
        backend = RedisBackend.from_url(settings.redis_url)
        store = backend.tenant(tenant)
        producer = OutputProducer(settings.kafka_bootstrap)
        outbox = CountingOutbox(backend, tenant, f"w-{uuid.uuid4().hex[:6]}")
        published: list[Record] = []
        during_send: list[int] = []

        async def commit(n: int) -> None:
            await change(store, n, [revoked(n, tenant, f"item-{n}")])
            relay.wake()

        async def send(records: Sequence[Record]) -> None:
            await producer.send_batch(records)
            published.extend(records)
            if during_send:
                await commit(during_send.pop())

        relay = OutboxRelay([outbox], send, settings.topic_prefix, idle_s=60.0)
        stopping = asyncio.Event()
        running = asyncio.create_task(relay.run(stopping))

        async def published_count(count: int) -> None:
            for _ in range(200):  # 10 s, far less than the 60 s poll
                if len(published) >= count and not await outbox.pending():
                    await asyncio.sleep(0.3)  # room for a round the relay should not make
                    return
                await asyncio.sleep(0.05)
            raise AssertionError(f"{len(published)} of {count} published")

        await published_count(0)  # the first round: an empty take, then the wait
        assert outbox.calls == ["take"]
        await commit(1)
        await published_count(1)
        assert outbox.calls == ["take", "take", "ack_and_take"]

        outbox.after_ack.append(lambda: commit(3))
        await commit(2)
        await published_count(3)
        assert outbox.calls[3:] == ["take", "ack_and_take", "take", "ack_and_take"]

        during_send.append(5)
        await commit(4)
        await published_count(5)
        # item-5 came with item-4's acknowledgement: published from the batch in hand
        assert outbox.calls[7:] == ["take", "ack_and_take", "ack_and_take"]
        assert [key for _, key, _ in published] == [
            f"{tenant}/item-{n}".encode() for n in range(1, 6)]

        stopping.set()
        relay.wake()
        await running
        await relay.release()
        producer.close()
        await backend.aclose()

    asyncio.run(scenario())
