"""Cumulative statistics (SPEC E3) computed from the router's own output events.

Why from the outputs and not from inside the handlers: the outputs are the router's
record of what happened, published once per tenant in commit order by the outbox relay.
Counting there makes the metrics middleware (no handler knows about them), counts a
redelivered input's re-emitted outputs only once per published slot, and sees the same
facts a downstream consumer sees.

Latencies pair two events of one item or offer: ``work_item.queued`` with the item's first
``offer.issued`` (or direct ``assignment.created``), and ``offer.issued`` with its
``offer.accepted``. The open halves wait in bounded LRU maps keyed by ids; ids never become
labels. An event whose other half was evicted (or published by a relay before this
process held the tenant) is counted but not timed.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Generic, TypeVar

from msgspec import Struct

from router.config.model import Tenant
from router.observability import metrics
from router.observability.state_reads import AFFINITY, bucket_names

DEFAULT_BUCKET = "default"
UNKNOWN_QUEUE = "unknown"
OUTCOMES = {
    "offer.issued": "issued",
    "offer.accepted": "accepted",
    "offer.declined": "declined",
    "offer.expired": "expired",
    "offer.revoked": "revoked",
}
MAX_OPEN = 200_000
"""Open items and offers remembered per kind (about 150 B each: 30 MB at worst)."""

K = TypeVar("K")
V = TypeVar("V")


class Lru(Generic[K, V]):
    """A dict that forgets its least recently written entries beyond ``limit``."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"limit {limit}: must be at least 1")
        self.limit = limit
        self._data: OrderedDict[K, V] = OrderedDict()

    def put(self, key: K, value: V) -> None:
        self._data[key] = value
        self._data.move_to_end(key)
        while len(self._data) > self.limit:
            self._data.popitem(last=False)

    def pop(self, key: K) -> V | None:
        return self._data.pop(key, None)

    def get(self, key: K) -> V | None:
        return self._data.get(key)

    def __len__(self) -> int:
        return len(self._data)


def _field(obj: Any, name: str) -> Any:
    """Reads a field of an encoded event (dict), a decoded one (contract Struct) or the
    relay's head of one alike."""
    if isinstance(obj, Struct):  # what the relay passes: skip the slower ABC check
        return getattr(obj, name, None)
    if isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)


def _seconds(value: Any) -> float | None:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value).timestamp()
        except ValueError:
            return None
    return None


class OutputObserver:
    """Turns a stream of output events into the E3 counters and histograms."""

    def __init__(self, max_open: int = MAX_OPEN) -> None:
        self.waiting: Lru[tuple[str, str], tuple[float, str]] = Lru(max_open)
        """(tenant, item) -> (queued at, queue) until the item's first offer."""
        self.offers: Lru[tuple[str, str], tuple[float, str]] = Lru(max_open)
        """(tenant, offer) -> (issued at, queue) until the offer's outcome."""

    def observe(self, events: Iterable[Any]) -> None:
        """Account for output events in publication order (dicts, contract events or the
        relay's heads of them)."""
        for event in events:
            self._one(event)

    def _one(self, event: Any) -> None:
        kind = _field(event, "type")
        tenant = str(_field(event, "tenant") or "")
        subject = str(_field(event, "subject") or "")
        at = _seconds(_field(event, "time"))
        data = _field(event, "data") or {}
        if kind == "work_item.queued" or kind == "work_item.requeued":
            queue = str(_field(data, "queue") or UNKNOWN_QUEUE)
            if kind == "work_item.queued":
                bucket = _field(data, "bucket") or DEFAULT_BUCKET
                metrics.series(metrics.ITEMS_QUEUED, tenant, queue, bucket).inc()
            if at is not None:
                self.waiting.put((tenant, subject), (at, queue))
        elif kind in OUTCOMES:
            self._offer(kind, tenant, subject, at, data)
        elif kind == "assignment.created":
            via = str(_field(data, "via") or "offer")
            queue = _field(data, "queue")
            if via != "offer":
                queue = self._first_offer(tenant, subject, at) or queue
            metrics.series(metrics.ASSIGNMENTS, tenant, queue or UNKNOWN_QUEUE, via).inc()
            self.waiting.pop((tenant, subject))
        elif kind in ("work_item.cancelled", "work_item.completed"):
            self.waiting.pop((tenant, subject))

    def _offer(self, kind: str, tenant: str, item: str, at: float | None, data: Any) -> None:
        offer_id = str(_field(data, "offer_id") or "")
        if kind == "offer.issued":
            queue = str(_field(data, "queue") or UNKNOWN_QUEUE)
            self._first_offer(tenant, item, at)
            if at is not None:
                self.offers.put((tenant, offer_id), (at, queue))
        else:
            issued = self.offers.pop((tenant, offer_id))
            queue = issued[1] if issued else UNKNOWN_QUEUE
            if kind == "offer.accepted" and issued is not None and at is not None:
                metrics.series(metrics.TIME_TO_ACCEPT_SECONDS, tenant, queue).observe(
                    max(0.0, at - issued[0]))
        metrics.series(metrics.OFFERS, tenant, queue, OUTCOMES[kind]).inc()

    def _first_offer(self, tenant: str, item: str, at: float | None) -> str | None:
        """Times queued -> first offer (or direct assignment); the queue it waited in."""
        queued = self.waiting.pop((tenant, item))
        if queued is None:
            return None
        if at is not None:
            metrics.series(metrics.ITEM_TO_OFFER_SECONDS, tenant, queued[1]).observe(
                max(0.0, at - queued[0]))
        return queued[1]


def init_tenant_series(tenants: Iterable[Tenant]) -> None:
    """Creates every configured queue's output series at zero.

    Why: Prometheus sees a counter's first increase only if it scraped the series before
    it; a series born already counting (a burst of arrivals between two scrapes) shows
    no rate, and a latency histogram shows NaN, until the next change. Labels come from
    the configuration, so this is bounded like the series themselves."""
    for tenant in tenants:
        for queue in tenant.queues:
            for outcome in OUTCOMES.values():
                metrics.OFFERS.labels(tenant.id, queue.id, outcome)
            for _, bucket in bucket_names(queue):
                if bucket != AFFINITY:  # work_item.queued names no affinity bucket
                    metrics.ITEMS_QUEUED.labels(tenant.id, queue.id, bucket)
            metrics.ITEM_TO_OFFER_SECONDS.labels(tenant.id, queue.id)
            metrics.TIME_TO_ACCEPT_SECONDS.labels(tenant.id, queue.id)


OBSERVER = OutputObserver()
"""The process's observer: one per worker, fed by its outbox relay."""


def observe_outputs(events: Iterable[Any]) -> None:
    """What the outbox relay calls with each published batch (the heads it decoded)."""
    OBSERVER.observe(events)
