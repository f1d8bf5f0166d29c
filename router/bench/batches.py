"""The worker's mean input batch over a phase, read from its /metrics.

Why: the worker's CPU per item depends mostly on how many records share a batch (what
queued while the batches before were handled). As fast as possible they fill up; at a
fixed rate they shrink, and every batch pays the consumer's, the acknowledgements' and
the relay's round trips whatever its size. The mean batch says which of the two a
phase's CPU figures come from (benchmarks/service_batches.py gives the router's own
cost per item at each size).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from router.observability.scrape import samples, scrape
from router.topics import WORK_ITEMS

METRIC = "router_input_batch_records"
BatchMeter = Callable[[], tuple[float, float]]
"""Records and batches handed to input handling so far (NaN when unreadable)."""


def batches_in(text: str, topic: str = WORK_ITEMS) -> tuple[float, float]:
    """(records, batches) of `topic` in a Prometheus text exposition; NaN if absent."""
    records = batches = math.nan
    for sample in samples(text, METRIC, topic=topic):
        if sample.name == f"{METRIC}_sum":
            records = float(sample.value)
        elif sample.name == f"{METRIC}_count":
            batches = float(sample.value)
    return records, batches


def batch_meter(http_address: str, topic: str = WORK_ITEMS) -> BatchMeter:
    def read() -> tuple[float, float]:
        text = scrape(http_address, timeout_s=5.0)
        return (math.nan, math.nan) if text is None else batches_in(text, topic)

    return read


def mean_batch(before: tuple[float, float], after: tuple[float, float]) -> float:
    """Records per batch between two readings; NaN without batches in between."""
    batches = after[1] - before[1]
    if not batches > 0:
        return math.nan
    return (after[0] - before[0]) / batches
