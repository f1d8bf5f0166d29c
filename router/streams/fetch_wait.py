"""The worker's consumer lets the broker hold a fetch that finds nothing new for at most
FETCH_MAX_WAIT_MS, instead of the 1.5 s Faust sets.

Why: aiokafka keeps one fetch in flight per broker. While a partition's fetched records
wait to be consumed for longer than its prefetch backoff (100 ms), the next fetch goes
out for the other partitions alone; when those have nothing new, the broker holds it for
the whole wait, and the waiting partition's next records, already in Kafka, cannot be
fetched until it returns. So a partition that receives more than one fetch's worth
(consumer_max_fetch_size, 1 MiB) while the others are quiet is read in steps of 1 MiB
every 1.5 s: about 1,100 records of 600 bytes a second, whatever the worker could take.
`benchmarks/fetch_stall.py` shows it: 10,000 records, nearly all on one of four
partitions, consumed at about 6,600 a second, took 7.0 to 8.3 s with a 1.5 s wait (a
gap of about 1.35 s per step) and 1.8 to 2.0 s with 100 ms. It is the likely cause of
`router bench` runs whose last tenth of as-fast-as-possible items arrived about a
second late (5,201 to 5,694 items/s instead of about 8,000, one run in four or five).

The cost: an idle worker sends ten empty fetches a second instead of two-thirds of one.
"""

from __future__ import annotations

from typing import Any

from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread

FETCH_MAX_WAIT_MS = 100

_faust_create_worker_consumer = AIOKafkaConsumerThread._create_worker_consumer


def _create_worker_consumer(self: Any, transport: Any) -> Any:
    consumer = _faust_create_worker_consumer(self, transport)
    # aiokafka 0.14 hands this to its Fetcher when the consumer starts; Faust passes
    # fetch_max_wait_ms=1500 to the constructor with no setting to change it.
    consumer._fetch_max_wait_ms = FETCH_MAX_WAIT_MS
    return consumer


def install() -> None:
    """Idempotent; affects every Faust worker consumer in the process."""
    AIOKafkaConsumerThread._create_worker_consumer = _create_worker_consumer  # type: ignore[method-assign]
