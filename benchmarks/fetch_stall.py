"""How long a busy partition waits on a quiet one's fetch, at Faust's 1.5 s fetch wait
and at the worker's (router/streams/fetch_wait.py).

Produces --records records of 600 bytes to a new topic of four partitions, nearly all to
partition 0 (the rest spread over the others), then consumes them with aiokafka at about
--rate records a second (getmany of 200, a pause between), once per fetch wait, and
prints the time to read them all and the longest gap between two non-empty reads. With
1.5 s the busy partition is read 1 MiB (consumer_max_fetch_size) at a time, a gap of
about 1.4 s after each; with 100 ms the consumer keeps up. Needs a running broker
(`make up`); the topics are deleted afterwards.

    .venv/bin/python -m benchmarks.fetch_stall [--records 10000] [--rate 6600]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from router.streams.fetch_wait import FETCH_MAX_WAIT_MS

FAUST_FETCH_MAX_WAIT_MS = 1500
PARTITIONS = 4
BUSY_SHARE = 0.97
READ = 200


async def _run(bootstrap: str, wait_ms: int, records: int, rate: float) -> tuple[float, float]:
    topic = f"fetch-stall-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, PARTITIONS, 1)])
        consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=topic,
                                    auto_offset_reset="earliest", fetch_max_wait_ms=wait_ms,
                                    max_partition_fetch_bytes=1024**2)
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
        await consumer.start()
        await producer.start()
        try:
            await consumer.getmany(timeout_ms=1000)  # joined; its next fetch now waits
            await asyncio.sleep(0.5)
            busy = int(records * BUSY_SHARE)
            started = time.monotonic()
            for n in range(records):
                partition = 0 if n < busy else 1 + n % (PARTITIONS - 1)
                await producer.send(topic, b"x" * 600, partition=partition)
            await producer.flush()
            got, longest, last = 0, 0.0, time.monotonic()
            while got < records:
                batch = await consumer.getmany(timeout_ms=5000, max_records=READ)
                now = time.monotonic()
                read = sum(len(part) for part in batch.values())
                if read:
                    longest, last = max(longest, now - last), now
                elif now - last > 30:
                    raise RuntimeError(f"nothing read for 30 s ({got}/{records})")
                got += read
                await asyncio.sleep(READ / rate)
            return time.monotonic() - started, longest
        finally:
            await consumer.stop()
            await producer.stop()
    finally:
        await admin.delete_topics([topic])
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=6_600.0)
    args = parser.parse_args()
    bootstrap = os.environ.get("ROUTER_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    for wait_ms in (FAUST_FETCH_MAX_WAIT_MS, FETCH_MAX_WAIT_MS) * 2:
        took, gap = asyncio.run(_run(bootstrap, wait_ms, args.records, args.rate))
        print(f"fetch wait {wait_ms:>5} ms: {args.records} records read in {took:.2f} s, "
              f"longest gap {gap * 1000:.0f} ms", flush=True)


if __name__ == "__main__":
    main()
