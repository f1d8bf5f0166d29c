"""Classification: which queue an item goes to (SPEC C3, C4, C5).

Why a result value: an item that cannot be classified must be reported
(classification-failed event), never dropped, so failure is data, not an
exception. Reclassification on update (C5) is calling ``classify`` again.

Weighted splits (C4) are deterministic per item: a stable hash (BLAKE2b, not
Python's salted ``hash()``) maps the item id to a point in [0, 100), so replays
and every worker agree on the branch.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection

from msgspec import Struct

from router.config.model import Workstream
from router.core.resolve import item_matches
from router.core.types import WorkItem


class Classified(Struct, frozen=True, kw_only=True):
    """The item goes to ``queue``; ``rule`` names the route (or ``fallback``)."""

    queue: str
    rule: str
    rule_index: int | None = None
    split_point: int | None = None


class ClassificationFailed(Struct, frozen=True, kw_only=True):
    """No route matched and no usable fallback; ``reason`` says why."""

    reason: str


Classification = Classified | ClassificationFailed


def split_point(item_id: str, salt: str = "") -> int:
    """Stable point in [0, 100) for an item id (same on every machine and run)."""
    digest = hashlib.blake2b(f"{salt}\x00{item_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % 100


def route_name(index: int, name: str) -> str:
    """Human label of a route for results and explanations."""
    return name or f"routes[{index}]"


def classify(
    item: WorkItem,
    workstream: Workstream,
    now: float,
    known_queues: Collection[str] | None = None,
) -> Classification:
    """Run the workstream's route-to-queue rules: first match wins, then fallback.

    ``known_queues``, when given, guards against targets missing from the live
    config (a route to an unknown queue is a failure, not a silent drop).
    """
    for index, route in enumerate(workstream.routes):
        if not item_matches(route.when, item, now):
            continue
        name = route_name(index, route.name)
        target: str | None = route.queue
        point: int | None = None
        if route.split:
            point = split_point(item.id, f"{workstream.id}/{index}")
            target = None
            cumulative = 0
            for branch in route.split:
                cumulative += branch.weight
                if point < cumulative:
                    target = branch.queue
                    break
            if target is None:
                return ClassificationFailed(
                    reason=f"route {name!r}: split weights cover {cumulative}%, point {point}"
                )
        if target is None:
            return ClassificationFailed(reason=f"route {name!r} has no target queue")
        if known_queues is not None and target not in known_queues:
            return ClassificationFailed(reason=f"route {name!r} targets unknown queue {target!r}")
        return Classified(queue=target, rule=name, rule_index=index, split_point=point)
    fallback = workstream.fallback_queue
    if fallback is None:
        return ClassificationFailed(
            reason=f"no route of workstream {workstream.id!r} matched and it has no fallback queue"
        )
    if known_queues is not None and fallback not in known_queues:
        return ClassificationFailed(reason=f"fallback queue {fallback!r} does not exist")
    return Classified(queue=fallback, rule="fallback")
