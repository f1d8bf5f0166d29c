"""Topic creation through Kafka's admin API.

Idempotent on purpose: `make run`, the tests and deploy pipelines all call it, and a topic
that already exists is the expected case, not an error. A topic that exists with fewer
partitions than configured is reported, never silently repartitioned, because changing
the partition count moves keys and breaks per-item ordering.
"""

from __future__ import annotations

from dataclasses import dataclass

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from router.settings import Settings
from router.topics import topic_config, topics


@dataclass(frozen=True)
class TopicResult:
    name: str
    outcome: str  # "created", "exists" or "exists-with-N-partitions"


def create_topics(settings: Settings, timeout_s: float = 30.0) -> list[TopicResult]:
    admin = AdminClient({"bootstrap.servers": settings.kafka_bootstrap})
    wanted = [
        NewTopic(
            contract.name,
            num_partitions=settings.topic_partitions,
            replication_factor=settings.topic_replication,
            config=topic_config(settings, contract),
        )
        for contract in topics(settings)
    ]
    futures = admin.create_topics(wanted, operation_timeout=timeout_s, request_timeout=timeout_s)
    results: list[TopicResult] = []
    existing: list[str] = []
    for name, future in futures.items():
        try:
            future.result()
            results.append(TopicResult(name, "created"))
        except KafkaException as exc:
            error = exc.args[0]
            if error.code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise
            existing.append(name)
    if existing:
        metadata = admin.list_topics(timeout=timeout_s)
        for name in existing:
            count = len(metadata.topics[name].partitions)
            same = count == settings.topic_partitions
            outcome = "exists" if same else f"exists-with-{count}-partitions"
            results.append(TopicResult(name, outcome))
    return sorted(results, key=lambda r: r.name)
