"""The outbox relay in its own process (router/streams/relay_child.py, relay_process.py)
on real Redis and Kafka: woken by the commits themselves, reporting its leases and its
metrics to the worker, restarted when it dies, and handing its leases over when the
worker is gone, however it went."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable

import redis
from aiokafka import AIOKafkaConsumer
from prometheus_client.parser import text_string_to_metric_families

from router.contract.topics import output_topic
from router.settings import Settings
from router.state import keys
from router.state.outbox import RedisOutbox
from router.state.redis_store import RedisBackend, RedisStore
from router.streams.relay_process import RelayProcess
from tests.integration.streams.test_outbox_relay import change, revoked


async def _until(condition: Callable[[], bool], timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def _received(consumer: AIOKafkaConsumer, seen: list[str], count: int) -> None:
    deadline = time.monotonic() + 30
    while len(seen) < count and time.monotonic() < deadline:
        for records in (await consumer.getmany(timeout_ms=200)).values():
            seen.extend(r.value.decode() for r in records if r.value)
    assert len(seen) == count


async def _wakes(pubsub: object, quiet_s: float = 0.3) -> int:
    """Wake messages that arrive before `quiet_s` passes without one."""
    count = 0
    while True:
        message = await pubsub.get_message(timeout=quiet_s)  # type: ignore[attr-defined]
        if message is None:
            return count
        if message["type"] == "message":
            count += 1


def test_a_commit_wakes_the_relay_exactly_when_it_finds_every_slot_published(
    settings: Settings, tenant: str,
) -> None:
    """A relay with slots in hand takes new ones with its acknowledgement; only a commit
    after everything was acknowledged (or a fill) has to wake it."""

    async def scenario() -> None:
        backend = RedisBackend.from_url(settings.redis_url)
        store: RedisStore = backend.tenant(tenant)
        outbox = RedisOutbox(backend, tenant, "worker-a")
        pubsub = backend.client.pubsub()
        await pubsub.subscribe(keys.outbox_wake(tenant))
        assert await _wakes(pubsub) == 0  # the subscription's confirmation only

        await change(store, 1, [revoked(1, tenant, "item-1")])
        assert await _wakes(pubsub) == 1
        await change(store, 2, [revoked(2, tenant, "item-2")])
        assert await _wakes(pubsub) == 0  # slot 1 is unpublished
        batch = await outbox.take(10)
        assert batch is not None and len(batch.slots) == 2
        await change(store, 3, [revoked(3, tenant, "item-3")])
        assert await _wakes(pubsub) == 0  # taken, not acknowledged: comes with the ack
        acked, following = await outbox.ack_and_take(batch, 10)
        assert acked and following is not None and len(following.slots) == 1
        assert await outbox.ack(following)

        reserved = await change(store, 4, None)  # every slot published: wakes
        assert await _wakes(pubsub) == 1
        await store.fill_outbox(reserved, [revoked(4, tenant, "item-4")])
        assert await _wakes(pubsub) == 1  # the relay waits on the reserved slot
        await pubsub.aclose()
        await backend.aclose()

    asyncio.run(scenario())


def test_the_relay_process_publishes_reports_and_comes_back_after_being_killed(
    settings: Settings, tenant: str, redis_client: redis.Redis,
) -> None:
    lease = keys.outbox_lease(tenant)

    async def scenario() -> None:
        backend = RedisBackend.from_url(settings.redis_url)
        store = backend.tenant(tenant)
        relay = RelayProcess(settings, f"test-{uuid.uuid4().hex[:8]}", restart_s=0.1)
        await relay.start()
        assert relay.running
        consumer = AIOKafkaConsumer(
            output_topic("offer.revoked", settings.topic_prefix),
            bootstrap_servers=settings.kafka_bootstrap, auto_offset_reset="earliest",
            group_id=f"check-{uuid.uuid4().hex[:6]}")
        await consumer.start()
        seen: list[str] = []

        await change(store, 1, [revoked(1, tenant, "item-1")])
        await _received(consumer, seen, 1)
        await _until(lambda: tenant in relay.holding)
        text = (await relay.metrics_text()).decode()
        families = {f.name: f for f in text_string_to_metric_families(text)}
        published = [s.value for s in families["router_outputs_published"].samples
                     if s.labels == {"tenant": tenant, "type": "offer.revoked"}
                     and s.name.endswith("_total")]
        assert published == [1.0]
        assert "router_offers" in families  # the configured queues' series, at zero
        assert "process_cpu_seconds" not in families  # those are the worker's

        first = relay.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        await _until(lambda: relay.restarts == 1 and relay.running)
        assert relay.pid != first
        await change(store, 2, [revoked(2, tenant, "item-2")])
        await _received(consumer, seen, 2)  # the successor renews the dead one's lease
        await _until(lambda: tenant in relay.holding)

        await relay.stop()
        assert not relay.running and relay.holding == set()
        assert redis_client.get(lease) is None  # released on the way out
        assert await relay.metrics_text() == b""
        await consumer.stop()
        await backend.aclose()
        assert [json.loads(v)["subject"] for v in seen] == ["item-1", "item-2"]

    asyncio.run(scenario())


def test_the_relay_process_hands_its_leases_over_when_its_worker_is_gone(
    settings: Settings, tenant: str, redis_client: redis.Redis,
) -> None:
    """A worker killed outright closes the relay's stdin: the relay ends after a final
    round and releases its leases, so another worker's relay takes over at once."""
    lease = keys.outbox_lease(tenant)
    child = subprocess.Popen(
        [sys.executable, "-m", "router.streams.relay_child", "--owner", "gone-worker"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        env={**os.environ, **settings.to_env()})
    try:
        assert child.stdout is not None and child.stdin is not None
        assert json.loads(child.stdout.readline()) == {"ready": True}

        async def commit() -> None:
            backend = RedisBackend.from_url(settings.redis_url)
            await change(backend.tenant(tenant), 1, [revoked(1, tenant, "item-1")])
            outbox = RedisOutbox(backend, tenant, "observer")
            await _until(lambda: redis_client.get(lease) == b"gone-worker")
            for _ in range(200):
                if not await outbox.pending():
                    break
                await asyncio.sleep(0.05)
            assert await outbox.pending() == 0
            await backend.aclose()

        asyncio.run(commit())
        child.stdin.close()
        assert child.wait(timeout=30) == 0
        assert redis_client.get(lease) is None
        replies = [json.loads(line) for line in child.stdout.read().splitlines()]
        assert replies[-1] == {"holding": []}
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
