"""The mean input batch of a phase, from two readings of the worker's /metrics."""

from __future__ import annotations

import math

from prometheus_client import CollectorRegistry, Histogram, generate_latest

from router.bench.batches import METRIC, batch_meter, batches_in, mean_batch


def exposition(batches: dict[str, list[int]]) -> str:
    """What a worker's /metrics says after handing over these batches, by topic."""
    registry = CollectorRegistry()
    histogram = Histogram(METRIC, "records per batch", ["topic"], registry=registry,
                          buckets=(1, 10, 100))
    for topic, sizes in batches.items():
        for size in sizes:
            histogram.labels(topic).observe(size)
    return generate_latest(registry).decode()


def test_records_and_batches_of_the_work_items_topic_only() -> None:
    text = exposition({"work-items": [1, 4, 10], "agents": [50]})
    assert batches_in(text) == (15.0, 3.0)
    assert batches_in(text, "agents") == (50.0, 1.0)


def test_absent_series_read_as_nan() -> None:
    records, batches = batches_in(exposition({"agents": [3]}))
    assert math.isnan(records) and math.isnan(batches)
    assert all(math.isnan(value) for value in batches_in("# nothing exported yet\n"))


def test_mean_between_two_readings() -> None:
    before = batches_in(exposition({"work-items": [1, 1]}))
    after = batches_in(exposition({"work-items": [1, 1, 10, 20]}))
    assert mean_batch(before, after) == 15.0
    assert math.isnan(mean_batch(after, after))  # no batch in the phase
    assert math.isnan(mean_batch((math.nan, math.nan), after))  # worker not readable


def test_an_unreachable_worker_reads_as_nan() -> None:
    records, batches = batch_meter("127.0.0.1:9")()  # discard port: refused
    assert math.isnan(records) and math.isnan(batches)
