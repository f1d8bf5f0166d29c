"""confluent-kafka producer -> Kafka 3.9.1 -> Faust agent in a worker process -> Redis."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import orjson
import redis
from confluent_kafka import Consumer, Producer

from router.settings import Settings
from router.state import keys
from router.topics import DEAD_LETTER, WORK_ITEMS, topic_name
from tests.integration.conftest import WorkerProcess


def _created(tenant: str, item_id: str, *, at: str = "2026-11-22T10:00:00Z",
             **data: object) -> bytes:
    return orjson.dumps({
        "id": str(uuid.uuid4()),
        "type": "work_item.created",
        "tenant": tenant,
        "time": at,
        "source": "test/connector",
        "subject": item_id,
        "schema_version": 1,
        "data": {"workstream": "chat", "attributes": {}, **data},
    })


def _producer(settings: Settings) -> Producer:
    return Producer({
        "bootstrap.servers": settings.kafka_bootstrap,
        "partitioner": "murmur2_random",
        "enable.idempotence": True,
    })


def _wait_for(predicate: Callable[[], bool], timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise TimeoutError("condition not met in time")


def test_events_from_a_confluent_producer_land_in_redis_through_a_faust_worker(
    settings: Settings, tenant: str, redis_client: redis.Redis,
    start_worker: Callable[[], WorkerProcess],
) -> None:
    start_worker()
    producer = _producer(settings)
    item_ids = [f"item-{n}" for n in range(50)]
    for item_id in item_ids:
        producer.produce(topic_name(settings, WORK_ITEMS), key=f"{tenant}/{item_id}".encode(),
                         value=_created(tenant, item_id))
    assert producer.flush(30) == 0

    def all_recorded() -> bool:
        return all(redis_client.exists(keys.work_item(tenant, i)) for i in item_ids)

    _wait_for(all_recorded)
    recorded = redis_client.hgetall(keys.work_item(tenant, "item-7"))
    # No agents registered: classified by the sample's chat rules into its fallback
    # queue, and waiting there.
    assert recorded[b"st"] == b"queued"
    assert recorded[b"q"] == b"general"


def test_a_malformed_event_goes_to_the_dead_letter_topic_and_the_worker_keeps_going(
    settings: Settings, tenant: str, redis_client: redis.Redis,
    start_worker: Callable[[], WorkerProcess],
) -> None:
    start_worker()
    producer = _producer(settings)
    topic = topic_name(settings, WORK_ITEMS)
    producer.produce(topic, key=f"{tenant}/bad".encode(), value=b"{not json")
    producer.produce(topic, key=f"{tenant}/good".encode(), value=_created(tenant, "good"))
    assert producer.flush(30) == 0

    _wait_for(lambda: bool(redis_client.exists(keys.work_item(tenant, "good"))))
    consumer = Consumer({
        "bootstrap.servers": settings.kafka_bootstrap,
        "group.id": f"dlq-reader-{uuid.uuid4().hex}",
        "auto.offset.reset": "earliest",
    })
    consumer.subscribe([topic_name(settings, DEAD_LETTER)])
    try:
        deadline = time.monotonic() + 30
        message = None
        while message is None and time.monotonic() < deadline:
            candidate = consumer.poll(1.0)
            if candidate is not None and candidate.error() is None:
                message = candidate
        assert message is not None, "nothing on the dead-letter topic"
        record = orjson.loads(message.value())
        assert "not valid JSON" in record["data"]["reason"]
        assert record["data"]["topic"] == topic
    finally:
        consumer.close()
