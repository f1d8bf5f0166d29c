"""Consumer lag per assigned input partition: records written but not yet committed.

Why committed offsets and not the fetch position: the consumer prefetches, so its
position runs ahead of what has been handled; the committed offset is what a restart
would resume from, the honest "still to do". Faust commits every few seconds
(``broker_commit_interval``), so the figure includes up to that much handled work.

Works with Faust's consumer (``app.consumer``: ``highwaters()`` and its committed-offset
table) and with a bare aiokafka ``AIOKafkaConsumer`` (``end_offsets()``, ``committed()``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from router.observability import metrics
from router.observability.background import Background

log = logging.getLogger(__name__)

INTERVAL_S = 5.0
Partition = tuple[str, int]


async def consumer_lag(consumer: Any) -> dict[Partition, int]:
    """(topic, partition) -> highwater minus committed offset, for every assigned partition
    whose committed offset (or, before the first commit, position) is known."""
    tps = sorted(consumer.assignment(), key=lambda tp: (tp.topic, tp.partition))
    if not tps:
        return {}
    if hasattr(consumer, "highwaters"):  # Faust
        ends = await consumer.highwaters(*tps)
    else:  # aiokafka
        ends = await consumer.end_offsets(tps)
    lag: dict[Partition, int] = {}
    for tp in tps:
        end = ends.get(tp)
        done = await _committed(consumer, tp)
        if end is None or done is None:
            continue
        lag[(tp.topic, tp.partition)] = max(0, int(end) - int(done))
    return lag


async def _committed(consumer: Any, tp: Any) -> int | None:
    table = getattr(consumer, "_committed_offset", None)
    if table is not None:  # Faust keeps what it committed (or found committed at assignment)
        done = table.get(tp)
        if done is None:
            done = await consumer.position(tp)
        return None if done is None else int(done)
    done = await consumer.committed(tp)
    return None if done is None else int(done)


class LagReporter:
    """Sets ``router_consumer_lag_records`` every few seconds while started."""

    def __init__(self, consumer: Callable[[], Any], interval_s: float = INTERVAL_S) -> None:
        if interval_s <= 0:
            raise ValueError(f"interval_s {interval_s}: must be positive")
        self._consumer = consumer
        self._interval_s = interval_s
        self._background = Background("lag-stats")
        self._shown: set[Partition] = set()

    def start(self) -> None:
        self._background.start(self._run)

    async def stop(self) -> None:
        await self._background.stop()
        self._show({})

    async def _run(self) -> None:
        while True:
            try:
                self._show(await consumer_lag(self._consumer()))
            except Exception:  # mid-rebalance or broker away: try again next round
                log.debug("consumer lag not available this round", exc_info=True)
            await asyncio.sleep(self._interval_s)

    def _show(self, lag: dict[Partition, int]) -> None:
        for gone in self._shown - set(lag):
            with contextlib.suppress(KeyError):
                metrics.CONSUMER_LAG.remove(gone[0], str(gone[1]))
        for (topic, partition), records in lag.items():
            metrics.CONSUMER_LAG.labels(topic, str(partition)).set(records)
        self._shown = set(lag)
