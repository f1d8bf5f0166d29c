"""The relay's librdkafka producer on the real broker: a batch is acknowledged only when
every record is, records land where Faust/aiokafka would put their keys, and a failed
record fails its batch. Also what the producer's design rests on in confluent-kafka itself:
delivered records count as outstanding until a flush serves their reports."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer
from aiokafka.partitioner import DefaultPartitioner
from confluent_kafka import Producer

from router.settings import Settings
from router.streams.output_producer import OutputProducer
from router.topics import DEAD_LETTER_MAX_MESSAGE_BYTES


async def read_back(settings: Settings, topic: str,
                    count: int) -> list[tuple[int, bytes, bytes]]:
    """The topic's first `count` records, read from the broker: (partition, key, value)."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=settings.kafka_bootstrap,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    seen: list[tuple[int, bytes, bytes]] = []
    try:
        while len(seen) < count:
            batches = await asyncio.wait_for(consumer.getmany(timeout_ms=1000), 30)
            for tp, messages in batches.items():
                seen += [(tp.partition, m.key or b"", m.value or b"") for m in messages]
    finally:
        await consumer.stop()
    return seen


def test_a_batch_is_delivered_in_order_on_the_partitions_of_its_keys(
    settings: Settings,
) -> None:
    topic = f"{settings.topic_prefix}offers"
    records = [(topic, f"tenant/item-{n % 7}".encode(), f"{n}".encode()) for n in range(300)]

    async def scenario() -> list[tuple[int, bytes, bytes]]:
        producer = OutputProducer(settings.kafka_bootstrap)
        try:
            await producer.send_batch(records)
            await producer.send_batch([])
        finally:
            assert producer.close() == 0
        return await read_back(settings, topic, len(records))

    seen = asyncio.run(scenario())
    assert sorted(value for _, _, value in seen) == sorted(value for _, _, value in records)
    partitions = list(range(settings.topic_partitions))
    for partition, key, _ in seen:
        assert partition == DefaultPartitioner()(key, partitions, partitions)
    for key in {key for _, key, _ in records}:
        values = [int(value) for _, k, value in seen if k == key]
        assert values == sorted(values)  # per key, in the order sent


def test_a_record_the_broker_refuses_fails_its_batch(settings: Settings) -> None:
    topic = f"{settings.topic_prefix}offers"
    too_big = b"x" * (DEAD_LETTER_MAX_MESSAGE_BYTES + 1024)

    async def scenario() -> Exception | None:
        producer = OutputProducer(settings.kafka_bootstrap)
        try:
            await producer.send_batch([(topic, b"k", b"fine"), (topic, b"k", too_big)])
        except Exception as exc:
            return exc
        finally:
            producer.close()
        return None

    failure = asyncio.run(scenario())
    assert failure is not None, "a refused record must fail the batch"


def test_delivered_records_count_in_the_producer_until_a_flush_serves_their_reports(
    settings: Settings,
) -> None:
    """With only failures reported, as OutputProducer sets it, confluent-kafka still
    queues a report for every record and drops successes only when serving it: `len()`
    stays up after the broker has the records, so delivery cannot be read without a
    flush or poll (output_producer.py)."""
    topic = f"{settings.topic_prefix}offers"
    producer = Producer({"bootstrap.servers": settings.kafka_bootstrap,
                         "enable.idempotence": True, "acks": "all", "linger.ms": 0.5,
                         "delivery.report.only.error": True,
                         "on_delivery": lambda error, _message: None})
    for n in range(5):
        producer.produce(topic, f"{n}".encode(), b"tenant/item-len")

    seen = asyncio.run(read_back(settings, topic, 5))
    assert sum(1 for _, key, _ in seen if key == b"tenant/item-len") == 5
    assert len(producer) >= 5  # written and acknowledged, but the reports not served
    assert producer.flush(10) == 0 and len(producer) == 0
