"""Decline policy (SPEC O2).

Why counters on the item: a decline (rejection or offer timeout) is about one
agent and one item. After each decline the agent ranks lower for that item (the
ordering key starts with the decline count); at the tenant's limit the agent is
excluded for it; once ``max_distinct_declines`` agents declined, the item leaves
auto-assignment and waits for a manual pick (O3).
"""

from __future__ import annotations

from msgspec import Struct, structs

from router.core.policy import Policy
from router.core.types import WorkItem


class DeclineOutcome(Struct, frozen=True, kw_only=True):
    """The item after a decline and what the decline triggered."""

    item: WorkItem
    agent_id: str
    declines: int
    agent_excluded: bool
    item_excluded: bool


def record_decline(item: WorkItem, agent_id: str, policy: Policy) -> DeclineOutcome:
    """Count one decline (or timeout) of ``item`` by ``agent_id``."""
    declines = dict(item.declines)
    declines[agent_id] = declines.get(agent_id, 0) + 1
    updated = structs.replace(item, declines=declines)
    return DeclineOutcome(
        item=updated,
        agent_id=agent_id,
        declines=declines[agent_id],
        agent_excluded=declines[agent_id] >= policy.decline_limit,
        item_excluded=len(declines) >= policy.max_distinct_declines,
    )


def is_agent_excluded(item: WorkItem, agent_id: str, policy: Policy) -> bool:
    """The agent reached the decline limit for this item."""
    return item.declines.get(agent_id, 0) >= policy.decline_limit


def is_manual_only(item: WorkItem, policy: Policy) -> bool:
    """Too many distinct agents declined: no more auto-assignment."""
    return len(item.declines) >= policy.max_distinct_declines
