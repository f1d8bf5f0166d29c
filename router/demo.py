"""Demo traffic: simulated channel connectors publishing work items.

Used by `make run` so a newcomer sees the router consume something. It publishes with
confluent-kafka and the murmur2 partitioner, exactly as a real connector must.
"""

from __future__ import annotations

import itertools
import random
import re
import signal
import sys
import time
import urllib.request
import uuid
from datetime import UTC, datetime
from types import FrameType

from confluent_kafka import Producer

from router.config.load import load_config
from router.contract.codec import encode
from router.contract.envelope import SCHEMA_VERSION
from router.contract.inputs import WorkItemCreated, WorkItemCreatedData
from router.settings import Settings
from router.topics import WORK_ITEMS, topic_name


def _work_item_created(tenant: str, workstreams: list[str], item_id: str,
                       rng: random.Random) -> bytes:
    attributes = {
        "language": rng.choice(["en", "en", "fr", "de"]),
        "vip": rng.random() < 0.1,
        "topic": rng.choice(["billing", "delivery", "returns", "invoice"]),
    }
    return encode(WorkItemCreated(
        id=str(uuid.uuid4()),
        tenant=tenant,
        time=datetime.now(UTC),
        source="demo/connector",
        subject=item_id,
        schema_version=SCHEMA_VERSION,
        data=WorkItemCreatedData(workstream=rng.choice(workstreams), attributes=attributes),
    ))


_CONSUMED = re.compile(r'^router_events_consumed_total\{[^}]*outcome="(\w+)"[^}]*\} (\S+)$',
                       re.MULTILINE)


def _worker_progress(http_address: str) -> str:
    """What the worker says it did, from its /metrics; the demo only watches."""
    try:
        with urllib.request.urlopen(f"http://{http_address}/metrics", timeout=1) as response:
            body = response.read().decode()
    except OSError:
        return "not answering on /metrics yet"
    totals: dict[str, float] = {}
    for outcome, value in _CONSUMED.findall(body):
        totals[outcome] = totals.get(outcome, 0.0) + float(value)
    return (f"{totals.get('processed', 0):.0f} events processed, "
            f"{totals.get('dead_lettered', 0):.0f} dead-lettered")


def run_demo_traffic(settings: Settings, rate: float, duration_s: float) -> int:
    """Publishes for the first tenant of the routing configuration and its workstreams."""
    tenant_config = load_config(settings.config_path).tenants[0]
    tenant = tenant_config.id
    workstreams = [workstream.id for workstream in tenant_config.workstreams]
    producer = Producer({
        "bootstrap.servers": settings.kafka_bootstrap,
        "partitioner": "murmur2_random",
        "enable.idempotence": True,
        "linger.ms": 5,
    })
    topic = topic_name(settings, WORK_ITEMS)
    rng = random.Random()
    run = uuid.uuid4().hex[:6]
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
        item_id = f"demo-{run}-{n:07d}"
        producer.produce(topic, key=f"{tenant}/{item_id}".encode(),
                         value=_work_item_created(tenant, workstreams, item_id, rng))
        producer.poll(0)
        sent += 1
        if sent % max(1, int(rate * 5)) == 0:
            print(f"demo: published {sent} work items to {topic}; worker: "
                  f"{_worker_progress(settings.http_address)}", file=sys.stderr)
        time.sleep(interval)
    producer.flush(10)
    print(f"demo: published {sent} work items in total", file=sys.stderr)
    return 0
