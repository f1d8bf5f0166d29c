"""Demo traffic: simulated channel connectors publishing work items.

Used by `make run` so a newcomer sees the router consume something. It publishes with
confluent-kafka and the murmur2 partitioner, exactly as a real connector must.
"""

from __future__ import annotations

import itertools
import random
import signal
import sys
import time
import uuid
from datetime import UTC, datetime
from types import FrameType

import orjson
from confluent_kafka import Producer

from router.settings import Settings
from router.topics import WORK_ITEMS, topic_name

CHANNELS = ("chat", "voice", "records")


def _work_item_created(tenant: str, item_id: str, rng: random.Random) -> bytes:
    channel = rng.choice(CHANNELS)
    event = {
        "id": str(uuid.uuid4()),
        "type": "work_item.created",
        "tenant": tenant,
        "time": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "source": "demo/connector",
        "subject": item_id,
        "schema_version": 1,
        "data": {
            "workstream": channel,
            "attributes": {"language": rng.choice(["en", "fr", "de"]),
                           "vip": rng.random() < 0.1},
        },
    }
    return orjson.dumps(event)


def run_demo_traffic(settings: Settings, rate: float, duration_s: float,
                     tenant: str = "demo") -> int:
    producer = Producer({
        "bootstrap.servers": settings.kafka_bootstrap,
        "partitioner": "murmur2_random",
        "enable.idempotence": True,
        "linger.ms": 5,
    })
    topic = topic_name(settings, WORK_ITEMS)
    rng = random.Random(7)
    stopping = False

    def stop(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    started = time.monotonic()
    interval = 1.0 / rate if rate > 0 else 1.0
    sent = 0
    for n in itertools.count():
        if stopping or (duration_s and time.monotonic() - started >= duration_s):
            break
        item_id = f"item-{n:07d}"
        producer.produce(topic, key=f"{tenant}/{item_id}".encode(),
                         value=_work_item_created(tenant, item_id, rng))
        producer.poll(0)
        sent += 1
        if sent % max(1, int(rate * 5)) == 0:
            print(f"demo: published {sent} work items to {topic}", file=sys.stderr)
        time.sleep(interval)
    producer.flush(10)
    print(f"demo: published {sent} work items in total", file=sys.stderr)
    return 0
