"""Which events travel on which topic, under which key.

The lead's topic administration imports this table; names are `<prefix><suffix>` with
the default prefix `router.`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

DEFAULT_PREFIX = "router."

WORK_ITEM_KEY = "tenant/work_item_id"
AGENT_KEY = "tenant/agent_id"
ORIGINAL_KEY = "the rejected record's original key"
TIMER_KEY = "tenant/work_item_id (tenant/queue_id for queue sweeps)"


@dataclass(frozen=True, kw_only=True)
class TopicContract:
    suffix: str
    name: str
    direction: Literal["in", "out"]
    key: str
    event_types: frozenset[str]
    ordered_types: tuple[str, ...]


_TABLE: tuple[tuple[str, Literal["in", "out"], str, tuple[str, ...]], ...] = (
    (
        "work-items",
        "in",
        WORK_ITEM_KEY,
        (
            "work_item.created",
            "work_item.updated",
            "work_item.cancelled",
            "work_item.completed",
            "work_item.closed",
            "work_item.requeue_requested",
        ),
    ),
    (
        "agents",
        "in",
        AGENT_KEY,
        (
            "agent.registered",
            "agent.presence_changed",
            "agent.capacity_changed",
            "agent.queues_changed",
            "agent.profile_updated",
        ),
    ),
    (
        "offer-responses",
        "in",
        WORK_ITEM_KEY,
        ("agent.offer_accepted", "agent.offer_declined", "agent.item_picked"),
    ),
    (
        "timers",
        "in",
        TIMER_KEY,
        ("timer.offer_due", "timer.wrap_up_due", "timer.queue_sweep", "timer.item_expired"),
    ),
    (
        "offers",
        "out",
        WORK_ITEM_KEY,
        ("offer.issued", "offer.accepted", "offer.declined", "offer.expired", "offer.revoked"),
    ),
    ("assignments", "out", WORK_ITEM_KEY, ("assignment.created",)),
    ("declines", "out", WORK_ITEM_KEY, ("decline.recorded", "agent.excluded", "item.excluded")),
    (
        "item-status",
        "out",
        WORK_ITEM_KEY,
        (
            "work_item.classified",
            "work_item.queued",
            "work_item.classification_failed",
            "work_item.overflowed",
            "work_item.cancelled",
            "work_item.completed",
            "work_item.requeued",
        ),
    ),
    ("dead-letter", "out", ORIGINAL_KEY, ("dead_letter",)),
)


def topic_events(prefix: str = DEFAULT_PREFIX) -> dict[str, TopicContract]:
    """Full topic name -> its contract, in a stable order (inputs first)."""
    return {
        f"{prefix}{suffix}": TopicContract(
            suffix=suffix,
            name=f"{prefix}{suffix}",
            direction=direction,
            key=key,
            event_types=frozenset(types),
            ordered_types=types,
        )
        for suffix, direction, key, types in _TABLE
    }


TOPIC_EVENTS: Mapping[str, TopicContract] = topic_events()
"""The table with the default prefix."""

_OUTPUT_SUFFIX: dict[str, str] = {
    event_type: suffix
    for suffix, direction, _key, types in _TABLE
    if direction == "out"
    for event_type in types
}


def output_topic(event_type: str, prefix: str = DEFAULT_PREFIX) -> str:
    """The topic an output event of this type is published to."""
    try:
        return f"{prefix}{_OUTPUT_SUFFIX[event_type]}"
    except KeyError:
        raise KeyError(f"{event_type!r} is not an output event type") from None


def input_types(suffix: str) -> frozenset[str]:
    """Event types accepted on an input topic, by suffix (e.g. `work-items`)."""
    for name, direction, _key, types in _TABLE:
        if name == suffix and direction == "in":
            return frozenset(types)
    raise KeyError(f"{suffix!r} is not an input topic")
