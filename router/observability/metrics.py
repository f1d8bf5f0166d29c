"""The router's Prometheus metrics, defined in one place.

Names follow Prometheus conventions (base units, `_total` on counters). Labels have
bounded cardinality: tenant, queue, topic, event type, outcome, reason class; never an
item or agent id, which would grow without bound.
"""

from __future__ import annotations

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
