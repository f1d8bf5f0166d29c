"""Queue depths as the worker reports them on /metrics (`router_queue_depth`).

The worker's figures come from Redis, so they are the truth; the demo falls back to
its own count from the events it saw when the endpoint does not answer (or before the
worker's state collector has reported the tenant once).
"""

from __future__ import annotations

from router.observability.scrape import samples, scrape

DEPTH_METRIC = "router_queue_depth"


def parse_depths(text: str, tenant: str) -> dict[str, int] | None:
    """Waiting items per queue of `tenant` (summed over buckets); None if not reported."""
    depths: dict[str, int] = {}
    reported = False
    for sample in samples(text, DEPTH_METRIC, tenant=tenant):
        reported = True
        queue = sample.labels.get("queue", "?")
        depths[queue] = depths.get(queue, 0) + int(sample.value)
    return depths if reported else None


def scrape_depths(http_address: str, tenant: str, timeout_s: float = 0.5) -> dict[str, int] | None:
    """The worker's depths, or None when it cannot be asked."""
    text = scrape(http_address, timeout_s)
    return None if text is None else parse_depths(text, tenant)
