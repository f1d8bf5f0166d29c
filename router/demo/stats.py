"""What the demo has seen, kept by the generator itself (not asked of the router).

Waits are measured from the moment the simulated connector published an item to the
moment its first offer (or direct assignment) reached the simulated desktop, on one
clock in one process, so they include Kafka both ways: the wait a real customer sees
before an agent is even asked.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass, field

RATE_WINDOW_S = 10.0
WAIT_WINDOW_S = 60.0
OUTCOMES = ("offer.accepted", "offer.declined", "offer.expired", "offer.revoked")


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of unsorted values; NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass(frozen=True)
class Snapshot:
    """Everything the live view shows, at one instant."""

    tenant: str
    elapsed_s: float
    arrival_rate: float
    agents: int
    agents_available: int
    published: int
    offers: int
    assignments: int
    closed: int
    in_rate: float
    offer_rate: float
    assign_rate: float
    wait_p50_s: float
    wait_p90_s: float
    wait_samples: int
    outcomes: dict[str, int]
    waiting_by_queue: dict[str, int]
    depth_source: str
    """"worker /metrics" or "events seen by the demo"."""
    unclassified: int = 0
    notes: list[str] = field(default_factory=list)


class LiveStats:
    """Thread-safe counters fed by the publisher, the subscriber and the agents."""

    def __init__(self, tenant: str, started: float | None = None) -> None:
        """started: the run's start on the `time.monotonic` clock (default now)."""
        self.tenant = tenant
        self._lock = threading.Lock()
        self._started = time.monotonic() if started is None else started
        self._published_at: dict[str, float] = {}
        self._pending_offer: set[str] = set()
        self._in: deque[float] = deque()
        self._offers: deque[float] = deque()
        self._assigns: deque[float] = deque()
        self._waits: deque[tuple[float, float]] = deque()
        self._totals: Counter[str] = Counter()
        self._outcomes: Counter[str] = Counter()
        self._queue_of: dict[str, str] = {}
        """Item -> queue, for the items waiting in one (as far as the events tell)."""
        self._offered_from: dict[str, str] = {}
        """Item -> the queue of its latest offer: where it waits again if the offer is
        declined, expires or its agent leaves (the router does not announce that)."""
        self._assigned: set[str] = set()
        self.agents = 0
        self.agents_available = 0
        self.arrival_rate = 0.0
        self.metrics_depths: dict[str, int] | None = None
        self.notes: list[str] = []

    def published(self, item_id: str, at: float | None = None) -> None:
        now = time.monotonic() if at is None else at
        with self._lock:
            self._published_at[item_id] = now
            self._pending_offer.add(item_id)
            self._in.append(now)
            self._totals["published"] += 1

    def _first_contact(self, item_id: str, now: float) -> None:
        if item_id in self._pending_offer:
            self._pending_offer.discard(item_id)
            self._waits.append((now, now - self._published_at[item_id]))

    def begin(self, at: float | None = None) -> None:
        """The traffic starts now: rates are over the time since, not since the wait for
        the topics began."""
        with self._lock:
            self._started = time.monotonic() if at is None else at

    def offered(self, item_id: str, queue: str, at: float | None = None) -> None:
        now = time.monotonic() if at is None else at
        with self._lock:
            self._offers.append(now)
            self._totals["offers"] += 1
            self._queue_of.pop(item_id, None)  # offered items no longer wait in the queue
            self._offered_from[item_id] = queue
            self._first_contact(item_id, now)

    def assigned(self, item_id: str, at: float | None = None) -> None:
        now = time.monotonic() if at is None else at
        with self._lock:
            self._assigns.append(now)
            self._totals["assignments"] += 1
            self._assigned.add(item_id)
            self._first_contact(item_id, now)  # direct mode assigns without an offer

    def queued(self, item_id: str, queue: str) -> None:
        with self._lock:
            if item_id not in self._assigned:
                self._queue_of[item_id] = queue

    def outcome(self, event_type: str, item_id: str, *, back_in_queue: bool) -> None:
        """`back_in_queue`: the router put the item back in the offer's queue (declined,
        expired, revoked as its agent left), which no `work_item.queued` announces."""
        with self._lock:
            self._outcomes[event_type] += 1
            queue = self._offered_from.pop(item_id, None)
            if back_in_queue and queue is not None and item_id not in self._assigned:
                self._queue_of[item_id] = queue

    def finished(self, item_id: str) -> None:
        """Closed or cancelled: the item leaves the demo's books."""
        with self._lock:
            self._totals["closed"] += 1
            self._queue_of.pop(item_id, None)
            self._offered_from.pop(item_id, None)
            self._assigned.discard(item_id)
            self._published_at.pop(item_id, None)
            self._pending_offer.discard(item_id)

    def _waiting_by_queue(self) -> dict[str, int]:
        waiting: Counter[str] = Counter()
        for item_id, queue in self._queue_of.items():
            if item_id not in self._assigned:
                waiting[queue] += 1
        return dict(waiting)

    def snapshot(self, now: float | None = None) -> Snapshot:
        now = time.monotonic() if now is None else now
        with self._lock:
            for series in (self._in, self._offers, self._assigns):
                while series and series[0] < now - RATE_WINDOW_S:
                    series.popleft()
            while self._waits and self._waits[0][0] < now - WAIT_WINDOW_S:
                self._waits.popleft()
            waits = [wait for _, wait in self._waits]
            window = min(RATE_WINDOW_S, max(now - self._started, 1e-9))
            computed = self._waiting_by_queue()
            queued_items = set(self._queue_of)
            unclassified = sum(1 for item in self._pending_offer if item not in queued_items)
            metrics = self.metrics_depths
            return Snapshot(
                tenant=self.tenant,
                elapsed_s=now - self._started,
                arrival_rate=self.arrival_rate,
                agents=self.agents,
                agents_available=self.agents_available,
                published=self._totals["published"],
                offers=self._totals["offers"],
                assignments=self._totals["assignments"],
                closed=self._totals["closed"],
                in_rate=len(self._in) / window,
                offer_rate=len(self._offers) / window,
                assign_rate=len(self._assigns) / window,
                wait_p50_s=percentile(waits, 50),
                wait_p90_s=percentile(waits, 90),
                wait_samples=len(waits),
                outcomes={name: self._outcomes[name] for name in OUTCOMES},
                waiting_by_queue=computed if metrics is None else dict(metrics),
                depth_source="events seen by the demo" if metrics is None else "worker /metrics",
                unclassified=unclassified,
                notes=list(self.notes[-3:]),
            )
