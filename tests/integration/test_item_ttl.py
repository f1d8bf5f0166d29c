"""X3 end to end: an item created with ttl_seconds, and no agent to take it, is cancelled
by the worker's own sweep (timer on Kafka, script in Redis) once it outlives its TTL."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

import redis

from router.settings import Settings
from router.state import keys
from router.topics import WORK_ITEMS, topic_name
from tests.integration.conftest import WorkerProcess
from tests.integration.test_first_path import _created, _producer, _wait_for


def test_a_waiting_item_past_its_ttl_is_cancelled_by_the_sweep(
    settings: Settings, tenant: str, redis_client: redis.Redis,
    start_worker: Callable[[], WorkerProcess],
) -> None:
    start_worker()
    producer = _producer(settings)
    topic = topic_name(settings, WORK_ITEMS)
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    for item_id, ttl in (("short", 2), ("long", 3600), ("none", None)):
        data = {} if ttl is None else {"ttl_seconds": ttl}
        producer.produce(topic, key=f"{tenant}/{item_id}".encode(),
                         value=_created(tenant, item_id, at=now, **data))
    assert producer.flush(30) == 0
    started = time.monotonic()

    def state(item_id: str) -> bytes | None:
        value = redis_client.hget(keys.work_item(tenant, item_id), "st")
        return value if isinstance(value, bytes) or value is None else None

    _wait_for(lambda: state("short") == b"cancelled")
    assert time.monotonic() - started >= 1.0  # not before its time
    assert state("long") == b"queued" and state("none") == b"queued"
    expiries = redis_client.zrange(keys.item_expiries(tenant), 0, -1)
    assert expiries == [b"long"]
