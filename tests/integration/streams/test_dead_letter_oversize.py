"""A bad record too large to keep whole on the dead-letter topic still becomes a dead
letter, and the worker goes on.

An operator may raise an input topic's `max.message.bytes` past what the dead-letter
topic holds once the record is base64-encoded (router/topics.py). Such a record, if it
is not a valid event, used to fail its publication as a dead letter; the batch failed
and the worker exited unacknowledged, so the next worker got the same record and exited
too. Now its dead letter leaves the value out, says so, and names where to read it."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import msgspec
import orjson
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import (
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    ResourceType,
)

from router.contract.codec import encode
from router.contract.examples import EXAMPLES
from router.settings import Settings
from router.topics import DEAD_LETTER, DEAD_LETTER_MAX_MESSAGE_BYTES, WORK_ITEMS, topic_name
from tests.integration.conftest import WorkerProcess

OVERSIZE = 3_500_000
"""Bytes of the bad record: under the raised input limit, over what a dead letter
holds base64-encoded (4/3 of it is about 4.7 MB, against 4 MiB)."""


def _raise_input_limit(settings: Settings, topic: str, limit: int) -> None:
    admin = AdminClient({"bootstrap.servers": settings.kafka_bootstrap})
    resource = ConfigResource(ResourceType.TOPIC, topic, incremental_configs=[
        ConfigEntry("max.message.bytes", str(limit),
                    incremental_operation=AlterConfigOpType.SET)])
    for future in admin.incremental_alter_configs([resource]).values():
        future.result(30)


def _dead_letters(settings: Settings, wanted: int, timeout_s: float) -> list[dict[str, Any]]:
    consumer = Consumer({"bootstrap.servers": settings.kafka_bootstrap,
                         "group.id": f"dlq-{uuid.uuid4().hex}",
                         "auto.offset.reset": "earliest"})
    consumer.subscribe([topic_name(settings, DEAD_LETTER)])
    letters: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline and len(letters) < wanted:
            message = consumer.poll(0.5)
            if message is not None and message.error() is None:
                letters.append(orjson.loads(message.value()))
    finally:
        consumer.close()
    return letters


def test_an_oversize_bad_record_is_dead_lettered_without_its_value(
    settings: Settings, tenant: str, start_worker: Callable[[], WorkerProcess],
) -> None:
    worker = start_worker()
    work_items = topic_name(settings, WORK_ITEMS)
    _raise_input_limit(settings, work_items, 2 * DEAD_LETTER_MAX_MESSAGE_BYTES)
    created = EXAMPLES["work_item.created"]
    good = msgspec.structs.replace(created, id=str(uuid.uuid4()), tenant=tenant)
    key = good.key
    producer = Producer({"bootstrap.servers": settings.kafka_bootstrap,
                         "partitioner": "murmur2_random", "enable.idempotence": True,
                         "message.max.bytes": 3 * DEAD_LETTER_MAX_MESSAGE_BYTES})
    big = b"{" + b"x" * (OVERSIZE - 2) + b"}"
    producer.produce(work_items, key=key, value=big, headers=[("trace", b"big")])
    small = b"not json either"
    producer.produce(work_items, key=key, value=small, headers=[("trace", b"small")])
    producer.produce(work_items, key=key, value=encode(good))
    assert producer.flush(60) == 0

    letters = _dead_letters(settings, 2, 90)
    assert len(letters) == 2, f"dead letters: {len(letters)}\n{worker.log_text()[-3000:]}"
    oversize, kept = letters
    assert oversize["data"]["value"] is None
    assert oversize["data"]["omitted"] == ["value"]
    assert f"{OVERSIZE:,} bytes" in oversize["data"]["reason"]
    assert oversize["data"]["topic"] == work_items
    assert oversize["data"]["headers"] == [{"key": "trace", "value": "Ymln"}]
    assert kept["data"]["omitted"] == [] and kept["data"]["offset"] == (
        oversize["data"]["offset"] + 1)
    assert worker.process.poll() is None, "the worker exited"
    # the valid event after them was handled by the same worker
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        body = worker.get("/metrics")[1]
        if any('outcome="processed"' in line and f'topic="{WORK_ITEMS}"' in line
               and not line.endswith(" 0.0") for line in body.splitlines()
               if line.startswith("router_events_consumed_total{")):
            break
        time.sleep(0.5)
    else:
        raise AssertionError(f"the valid event was not processed\n{worker.log_text()[-3000:]}")
