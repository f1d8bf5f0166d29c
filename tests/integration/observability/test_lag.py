"""Consumer lag from a real aiokafka consumer on the test Kafka."""

from __future__ import annotations

import asyncio
import uuid

from aiokafka import AIOKafkaConsumer, TopicPartition
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic
from prometheus_client import REGISTRY

from router.observability.lag import LagReporter, consumer_lag
from tests.integration.stack import Stack


def _topic_with_records(bootstrap: str, counts: dict[int, int]) -> str:
    name = f"lag-test-{uuid.uuid4().hex[:10]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for future in admin.create_topics([NewTopic(name, num_partitions=len(counts),
                                                replication_factor=1)]).values():
        future.result(30)
    producer = Producer({"bootstrap.servers": bootstrap})
    for partition, count in counts.items():
        for n in range(count):
            producer.produce(name, value=f"{n}".encode(), partition=partition)
    assert producer.flush(30) == 0
    return name


def test_lag_is_highwater_minus_committed_per_assigned_partition(stack: Stack) -> None:
    topic = _topic_with_records(stack.kafka_bootstrap, {0: 5, 1: 2, 2: 4})

    async def scenario() -> None:
        consumer = AIOKafkaConsumer(bootstrap_servers=stack.kafka_bootstrap,
                                    group_id=f"lag-{uuid.uuid4().hex[:8]}",
                                    enable_auto_commit=False)
        await consumer.start()
        try:
            tps = [TopicPartition(topic, p) for p in range(3)]
            consumer.assign(tps)
            await consumer.commit({tps[0]: 2, tps[1]: 2})
            # partition 2 has no committed offset: nothing is claimed for it
            assert await consumer_lag(consumer) == {(topic, 0): 3, (topic, 1): 0}
            reporter = LagReporter(lambda: consumer, interval_s=0.1)
            reporter.start()
            labels = {"topic": topic, "partition": "0"}
            for _ in range(50):
                if REGISTRY.get_sample_value("router_consumer_lag_records", labels) == 3:
                    break
                await asyncio.sleep(0.1)
            assert REGISTRY.get_sample_value("router_consumer_lag_records", labels) == 3
            await reporter.stop()
            assert REGISTRY.get_sample_value("router_consumer_lag_records", labels) is None
        finally:
            await consumer.stop()

    asyncio.run(scenario())
