"""Fixtures of the stream-processor acceptance tests: a running output collector."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from router.settings import Settings
from tests.integration.streams.harness import Collector, Feed


@pytest.fixture()
def collector(settings: Settings, tenant: str) -> Iterator[Collector]:
    """Consumes every output topic of this test's prefix from the beginning."""
    the_collector = Collector(settings, tenant)
    the_collector.start()
    yield the_collector
    the_collector.stop()


@pytest.fixture()
def feed(settings: Settings, tenant: str) -> Iterator[Feed]:
    the_feed = Feed(settings, tenant)
    yield the_feed
    the_feed.producer.flush(10)
