"""Issue 3, acceptance 3: 1,000 events, about 10% malformed in varied ways, through the
real broker. Every valid event is processed, every malformed one is on the dead-letter
topic with a reason and its original bytes, and processed + dead-lettered == sent."""

from __future__ import annotations

import random
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import msgspec
import orjson
from confluent_kafka import Consumer, Producer

from router.contract.codec import encode
from router.contract.examples import EXAMPLES
from router.contract.topics import input_types
from router.settings import Settings
from router.topics import AGENTS, DEAD_LETTER, OFFER_RESPONSES, WORK_ITEMS, topic_name
from tests.integration.conftest import WorkerProcess

INPUTS = (WORK_ITEMS, AGENTS, OFFER_RESPONSES)


def _valid(tenant: str, suffix: str, rng: random.Random) -> tuple[bytes, bytes]:
    event_type = rng.choice(sorted(input_types(suffix)))
    subject = f"s-{rng.randrange(200)}"
    event = msgspec.structs.replace(EXAMPLES[event_type], id=str(uuid.uuid4()),
                                    tenant=tenant, subject=subject)
    return f"{tenant}/{subject}".encode(), encode(event)


def _malformed(tenant: str, suffix: str, kind: str, rng: random.Random) -> tuple[bytes, bytes]:
    key, value = _valid(tenant, suffix, rng)
    doc: dict[str, Any] = orjson.loads(value)
    if kind == "not_json":
        return key, value[: len(value) // 2]
    if kind == "not_an_object":
        return key, orjson.dumps([rng.random(), "an array, not an event"])
    if kind == "missing_field":
        del doc["id"]
    elif kind == "wrong_type":
        doc["schema_version"] = "one"
    elif kind == "unknown_type":
        doc["type"] = "work_item.teleported"
    elif kind == "unknown_tenant":
        doc["tenant"] = "nobody-we-know"
        key = f"nobody-we-know/{doc['subject']}".encode()
    elif kind == "too_large":
        doc["source"] = "x" * 70_000
    elif kind == "near_kafka_limit":
        doc["source"] = "x" * 900_000
    elif kind == "bad_time":
        doc["time"] = "yesterday"
    elif kind == "key_mismatch":
        key = f"{tenant}/someone-else".encode()
    elif kind == "wrong_topic":
        other = WORK_ITEMS if suffix != WORK_ITEMS else AGENTS
        return _valid(tenant, other, rng)
    return key, orjson.dumps(doc)


MALFORMED_KINDS = ("not_json", "not_an_object", "missing_field", "wrong_type", "unknown_type",
                   "unknown_tenant", "too_large", "near_kafka_limit", "bad_time", "key_mismatch",
                  "wrong_topic")


def _processed_count(worker: WorkerProcess) -> float:
    """Events processed from the three input topics (not the router's own timers)."""
    _, body = worker.get("/metrics")
    pattern = re.compile(r'^router_events_consumed_total\{([^}]*)\} (\S+)$', re.MULTILINE)
    return sum(
        float(value) for labels, value in pattern.findall(body)
        if 'outcome="processed"' in labels and any(f'topic="{t}"' in labels for t in INPUTS)
    )


def test_every_event_is_processed_or_dead_lettered_with_its_reason(
    settings: Settings, tenant: str, start_worker: Callable[[], WorkerProcess],
) -> None:
    worker = start_worker()
    rng = random.Random(1234)
    producer = Producer({"bootstrap.servers": settings.kafka_bootstrap,
                         "partitioner": "murmur2_random", "enable.idempotence": True,
                         "message.max.bytes": 2_000_000})
    sent_bad: dict[bytes, str] = {}
    valid = 0
    for n in range(1000):
        suffix = INPUTS[n % 3]
        if rng.random() < 0.1:
            kind = MALFORMED_KINDS[len(sent_bad) % len(MALFORMED_KINDS)]
            key, value = _malformed(tenant, suffix, kind, rng)
            assert value not in sent_bad
            sent_bad[value] = kind
        else:
            key, value = _valid(tenant, suffix, rng)
            valid += 1
        producer.produce(topic_name(settings, suffix), key=key, value=value,
                         headers=[("trace", f"t-{n}".encode())])
    assert producer.flush(60) == 0
    sent = valid + len(sent_bad)
    assert sent == 1000 and 70 <= len(sent_bad) <= 130

    consumer = Consumer({"bootstrap.servers": settings.kafka_bootstrap,
                         "group.id": f"dlq-{uuid.uuid4().hex}", "auto.offset.reset": "earliest"})
    consumer.subscribe([topic_name(settings, DEAD_LETTER)])
    letters: list[dict[str, Any]] = []
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and (
            len(letters) < len(sent_bad) or _processed_count(worker) < valid
        ):
            message = consumer.poll(0.5)
            if message is not None and message.error() is None:
                letters.append(orjson.loads(message.value()))
        # anything beyond the expected count would show up now
        extra = consumer.poll(2.0)
        assert extra is None or extra.error() is not None, "more dead letters than malformed"
    finally:
        consumer.close()

    processed = _processed_count(worker)
    assert processed == valid
    assert len(letters) == len(sent_bad)
    assert processed + len(letters) == sent
    kinds_seen = set()
    for letter in letters:
        data = letter["data"]
        original = bytes(msgspec.json.decode(orjson.dumps(data["value"]), type=bytes))
        assert original in sent_bad, "dead letter does not carry the original bytes"
        kinds_seen.add(sent_bad[original])
        assert data["reason"], "a dead letter without a reason"
        assert data["topic"].startswith(settings.topic_prefix)
        assert isinstance(data["partition"], int) and isinstance(data["offset"], int)
        assert any(h["key"] == "trace" for h in data["headers"])
    assert kinds_seen == set(MALFORMED_KINDS)
