"""The worker's and its relay process's metrics (router/observability/relay_metrics.py):
each family comes from one side only, so the worker's /metrics, its own exposition with
the relay's appended, is one valid exposition."""

from __future__ import annotations

from collections import Counter

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from router.observability import metrics
from router.observability.relay_metrics import (
    relay_family_names,
    relay_registry,
    worker_registry,
)


def _names(text: str) -> list[str]:
    return [family.name for family in text_string_to_metric_families(text)]


def test_each_family_comes_from_one_side_and_the_two_make_one_exposition() -> None:
    metrics.OUTPUTS_PUBLISHED.labels("tenant-a", "offer.issued").inc()
    metrics.EVENTS_CONSUMED.labels("work-items", "work_item.created", "processed").inc()
    worker_text = generate_latest(worker_registry()).decode()
    relay_text = generate_latest(relay_registry()).decode()

    relay_names = set(_names(relay_text))
    ours = relay_family_names()
    assert ours <= relay_names
    # A counter's `_created` samples parse as a family of their own.
    assert all(name in ours or name.removesuffix("_created") in ours for name in relay_names)
    assert "router_outputs_published" in relay_names and "router_offers" in relay_names
    worker_names = set(_names(worker_text))
    assert not worker_names & relay_names
    assert {"router_events_consumed", "router_event_handling_seconds"} <= worker_names
    assert "process_cpu_seconds" in worker_names  # the process figures are the worker's

    merged = _names(worker_text + relay_text)
    assert [name for name, count in Counter(merged).items() if count > 1] == []
    published = [s for f in text_string_to_metric_families(worker_text + relay_text)
                 if f.name == "router_outputs_published" for s in f.samples
                 if s.labels.get("tenant") == "tenant-a"]
    assert published and published[0].value >= 1
