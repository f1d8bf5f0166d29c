"""The metric families the outbox relay process counts, kept apart from the worker's.

Why: the relay publishes from a process of its own (streams/relay_process.py), so what
it counts (outputs published, the outbox's backlog, and the output statistics of SPEC E3)
lives in that process's registry, and the worker's /metrics appends that process's
exposition to its own. Each family must come from one side only: the worker's copies of
these are never set, and a second HELP or TYPE line for a name makes the whole scrape
invalid.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from router.observability import metrics

RELAY_METRICS = (
    metrics.OUTPUTS_PUBLISHED,
    metrics.OUTBOX_BACKLOG,
    metrics.OUTBOX_SKIPPED,
    metrics.OFFERS,
    metrics.ASSIGNMENTS,
    metrics.ITEMS_QUEUED,
    metrics.ITEM_TO_OFFER_SECONDS,
    metrics.TIME_TO_ACCEPT_SECONDS,
)


def relay_family_names() -> frozenset[str]:
    return frozenset(family.name for metric in RELAY_METRICS for family in metric.describe())


def relay_registry() -> CollectorRegistry:
    """What the relay process exposes: its families only (not its process or GC
    figures, which would clash with the worker's)."""
    registry = CollectorRegistry(auto_describe=True)
    for metric in RELAY_METRICS:
        registry.register(metric)
    return registry


class _Without(Collector):
    def __init__(self, source: CollectorRegistry, names: Iterable[str]) -> None:
        self._source = source
        self._names = frozenset(names)

    def collect(self) -> Iterator[Metric]:
        for family in self._source.collect():
            if family.name not in self._names:
                yield family


def worker_registry() -> CollectorRegistry:
    """Everything the worker's process registered, but the relay's families."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Without(REGISTRY, relay_family_names()))
    return registry
