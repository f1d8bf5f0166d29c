"""Prioritization within a queue (SPEC P1, P2, P3, P4, P6, P7).

Why a (bucket, key) pair: the state layer keeps each queue's items in sorted
sets and must be able to sort by something. ``priority_key`` returns the bucket
index (rule 1 -> 0, ...; items matching no rule -> last bucket, FIFO; affinity
items -> -1, ahead of everything, P6) and a tuple of floats ordering the items
inside that bucket. Both depend on ``now`` only when a rule uses
``age_seconds`` / ``seconds_to_deadline`` (P4); ``ruleset_uses_time`` tells the
store which queues need a periodic re-sort.

Order-by values must be numbers, booleans, or ISO-8601 date-times (compared as
instants); anything else, or a missing value, sorts after present values. FIFO
time (last interaction for async messaging, else creation) and the item id
break every tie, so the order is total and deterministic.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from router.config.model import OrderBy, PrioritizationRule, Queue
from router.core.conditions import MISSING, uses_time
from router.core.resolve import item_condition, item_value
from router.core.types import WorkItem
from router.core.value_types import NUMBER_TYPES

AFFINITY_BUCKET = -1
INF = float("inf")

OrderKey = tuple[float, ...]


def _as_number(value: Any) -> float | None:
    if value is MISSING or value is None:
        return None
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, NUMBER_TYPES):
        return float(value)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed.timestamp()
    return None


def bucket_of(item: WorkItem, rules: Sequence[PrioritizationRule], now: float) -> int:
    """Index of the first rule the item matches; ``len(rules)`` when none (P2)."""
    if item.affinity_agent is not None:
        return AFFINITY_BUCKET
    for index, rule in enumerate(rules):
        if item_condition(rule.when)(item, now):
            return index
    return len(rules)


def _terms(item: WorkItem, order_by: Iterable[OrderBy], now: float) -> OrderKey:
    key: list[float] = []
    for order in order_by:
        if order.field == "fifo":
            key.extend((0.0, item.fifo_time()))
            continue
        number = _as_number(item_value(item, order.field, now))
        if number is None:
            key.extend((1.0, 0.0))
        else:
            key.extend((0.0, -number if order.direction == "desc" else number))
    key.append(item.fifo_time())
    return tuple(key)


def priority_key(item: WorkItem, queue: Queue, now: float) -> tuple[int, OrderKey]:
    """(bucket index, order key within the bucket) of ``item`` in ``queue`` at ``now``."""
    bucket = bucket_of(item, queue.prioritization, now)
    if bucket == AFFINITY_BUCKET or bucket >= len(queue.prioritization):
        return bucket, (item.fifo_time(),)
    return bucket, _terms(item, queue.prioritization[bucket].order_by, now)


def sort_key(item: WorkItem, queue: Queue, now: float) -> tuple[int, OrderKey, str]:
    """Total order used to sort a queue: bucket, order key, item id."""
    bucket, key = priority_key(item, queue, now)
    return bucket, key, item.id


def order_items(items: Iterable[WorkItem], queue: Queue, now: float) -> list[WorkItem]:
    """All items of a queue, best first."""
    return sorted(items, key=lambda it: sort_key(it, queue, now))


def top_block(
    items: Iterable[WorkItem], queue: Queue, now: float, block_size: int
) -> list[WorkItem]:
    """The top ``block_size`` items, best first (P7): one cycle looks at no more."""
    return heapq.nsmallest(block_size, items, key=lambda it: sort_key(it, queue, now))


def fifo_key(item: WorkItem) -> tuple[float, str]:
    """FIFO order across queues (P5): oldest first, id breaks ties."""
    return item.fifo_time(), item.id


def ruleset_uses_time(queue: Queue) -> bool:
    """True when buckets or order keys change with ``now`` alone (P4)."""
    return any(
        uses_time(rule.when)
        or any(o.field in ("age_seconds", "seconds_to_deadline") for o in rule.order_by)
        for rule in queue.prioritization
    )
