"""Reading a worker's /metrics from outside it (the demo's depths, the bench's batches).

Why one place: both ask the same endpoint and pick samples of one family by label; the
fetch, its failure handling and the filtering were written twice.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator

from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample


def scrape(http_address: str, timeout_s: float) -> str | None:
    """The worker's /metrics text, or None when it cannot be asked."""
    try:
        with urllib.request.urlopen(f"http://{http_address}/metrics",
                                    timeout=timeout_s) as response:
            text: str = response.read().decode()
    except (OSError, ValueError):
        return None
    return text


def samples(text: str, family: str, **labels: str) -> Iterator[Sample]:
    """The samples of one metric family (a histogram's `_sum`, `_count` and buckets
    too) whose labels include all of `labels`."""
    for found in text_string_to_metric_families(text):
        if found.name != family:
            continue
        for sample in found.samples:
            if all(sample.labels.get(k) == v for k, v in labels.items()):
                yield sample
