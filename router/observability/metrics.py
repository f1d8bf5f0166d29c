"""The router's Prometheus metrics, defined in one place.

Names follow Prometheus conventions (base units, `_total` on counters). Labels have
bounded cardinality: tenant, queue, topic, event type, outcome, reason class; never an
item or agent id, which would grow without bound.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from prometheus_client import Counter, Gauge, Histogram

EVENTS_CONSUMED = Counter(
    "router_events_consumed_total",
    "Input events consumed, by topic, event type and outcome (processed, dead_lettered).",
    ["topic", "type", "outcome"],
)
DEAD_LETTERS = Counter(
    "router_dead_letters_total",
    "Input records sent to the dead-letter topic, by source topic and reason class.",
    ["topic", "reason"],
)
EVENT_HANDLING_SECONDS = Histogram(
    "router_event_handling_seconds",
    "Time from decoding an input event to having committed its effects.",
    ["topic"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
)
INPUT_BATCH_RECORDS = Histogram(
    "router_input_batch_records",
    "Records per batch the consumer handed to input handling, by topic. A batch is what "
    "queued while the batches before were handled: near 1 the worker keeps up with room "
    "to spare, at the maximum (ROUTER_BATCH_MAX) it is falling behind.",
    ["topic"],
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000),
)
TRANSIENT_FAILURES = Counter(
    "router_transient_failures_total",
    "Handling attempts that failed on an unavailable dependency and were retried.",
    ["topic"],
)
OUTPUTS_PUBLISHED = Counter(
    "router_outputs_published_total",
    "Output events published by this worker's outbox relay, by tenant and event type.",
    ["tenant", "type"],
)
OUTBOX_BACKLOG = Gauge(
    "router_outbox_backlog",
    "Outbox slots committed but not yet published, seen by the relay holding the tenant.",
    ["tenant"],
)
OUTBOX_SKIPPED = Counter(
    "router_outbox_skipped_total",
    "Reserved outbox slots the relay stopped waiting for (their outputs come late or never).",
    ["tenant"],
)

# --------------------------------------------------------------------------- outputs (E3)
# Counted from the ordered output stream (`router.observability.outputs`), so each event
# counts once per tenant however many workers run, and a redelivered input adds nothing.

OFFERS = Counter(
    "router_offers_total",
    "Offers by outcome (issued, accepted, declined, expired, revoked), per queue.",
    ["tenant", "queue", "outcome"],
)
ASSIGNMENTS = Counter(
    "router_assignments_total",
    "Assignments created, by how (offer, direct, manual_pick).",
    ["tenant", "queue", "via"],
)
ITEMS_QUEUED = Counter(
    "router_items_queued_total",
    "Items that entered a queue (work_item.queued), by priority bucket.",
    ["tenant", "queue", "bucket"],
)
WAIT_BUCKETS = (1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 45.0, 60.0, 90.0, 120.0, 180.0, 300.0,
                600.0, 1800.0, 3600.0)
ITEM_TO_OFFER_SECONDS = Histogram(
    "router_item_to_offer_seconds",
    "From an item being queued to its first offer (or direct assignment) out of that queue.",
    ["tenant", "queue"],
    buckets=WAIT_BUCKETS,
)
TIME_TO_ACCEPT_SECONDS = Histogram(
    "router_time_to_accept_seconds",
    "From an offer being issued to its acceptance.",
    ["tenant", "queue"],
    buckets=(0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0),
)

# --------------------------------------------------------------------------- state (E2)
# Set by the state collector of one worker per tenant (`router.observability.collector`)
# from bounded reads of Redis; every worker that is not reporting a tenant drops its series.

QUEUE_DEPTH = Gauge(
    "router_queue_depth",
    "Items waiting for auto-assignment, by queue and priority bucket.",
    ["tenant", "queue", "bucket"],
)
QUEUE_OLDEST_WAIT = Gauge(
    "router_queue_oldest_wait_seconds",
    "Age of the oldest waiting item among the head of each bucket of the queue.",
    ["tenant", "queue"],
)
QUEUE_ASSIGNABLE = Gauge(
    "router_queue_assignable_waiting",
    "Items at the head of the queue that an agent with room could be offered right now.",
    ["tenant", "queue"],
)
ITEMS = Gauge(
    "router_items",
    "Items by state per queue: queued, manual (out of auto-assignment), offered.",
    ["tenant", "queue", "state"],
)
AGENTS = Gauge(
    "router_agents",
    "Registered agents by base presence.",
    ["tenant", "presence"],
)
QUEUE_AGENTS = Gauge(
    "router_queue_agents",
    "Agents of a queue by base presence.",
    ["tenant", "queue", "presence"],
)
QUEUE_IDLE_AGENTS = Gauge(
    "router_queue_idle_agents",
    "Agents of a queue who are available and hold no work at all.",
    ["tenant", "queue"],
)
CAPACITY_UNITS = Gauge(
    "router_queue_capacity_units",
    "Capacity units of the queue's logged-in (not offline) agents: total and in use.",
    ["tenant", "queue", "kind"],
)
STATE_COLLECTIONS = Counter(
    "router_state_collections_total",
    "Rounds of the state collector, by outcome (ok, failed).",
    ["tenant", "outcome"],
)

# --------------------------------------------------------------------------- work

CYCLE_SECONDS = Histogram(
    "router_cycle_seconds",
    "One routing cycle: read the queue and agents, decide, commit; by what triggered it.",
    ["trigger"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
STORE_COMMAND_SECONDS = Histogram(
    "router_store_command_seconds",
    "One Redis script call of the store (EVALSHA round trip), by script.",
    ["script"],
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25),
)
CONSUMER_LAG = Gauge(
    "router_consumer_lag_records",
    "Records in an input partition not yet committed by this worker (highwater - committed).",
    ["topic", "partition"],
)

DEAD_LETTER_REASONS = ("decode", "processing")
"""The reason classes of `router_dead_letters_total` (the ingest's own words)."""


def init_input_series(input_topics: Iterable[str]) -> None:
    """Creates the dead-letter series at zero for every input topic and reason class.

    Why: Prometheus computes rates from the increase between samples; a series born with
    its first dead letter at 1 shows no increase, so the first dead letter would never
    raise `rate()` (nor the alert on it)."""
    for topic in input_topics:
        for reason in DEAD_LETTER_REASONS:
            DEAD_LETTERS.labels(topic, reason)


_SERIES: dict[tuple[Any, ...], Any] = {}


def series(metric: Any, *labels: str) -> Any:
    """`metric.labels(*labels)`, looked up once: `labels` validates and takes a lock on
    every call, which hot paths pay per event otherwise. For counters and histograms,
    whose series are never removed (gauges that lose series keep calling `labels`)."""
    key = (metric, *labels)
    child = _SERIES.get(key)
    if child is None:
        child = _SERIES[key] = metric.labels(*labels)
    return child
