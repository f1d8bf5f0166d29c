"""The routing core: pure functions from snapshots to decisions.

No I/O, no clock reads (``now`` is always a parameter), no asyncio. The stream
layer maps events and Redis state into ``WorkItem`` / ``AgentState`` snapshots,
calls these functions, and commits the decisions they return.
"""

from router.core.classify import Classification, ClassificationFailed, Classified, classify
from router.core.decide import (
    QueueBacklog,
    Ranking,
    agent_fits,
    cross_queue_order,
    decide_for_agent,
    decide_for_item,
    decide_for_queue,
    rank_agents,
)
from router.core.decision import Decision, Explanation, Offer, Skip
from router.core.declines import DeclineOutcome, record_decline
from router.core.explain import ItemReport, explain_item
from router.core.policy import DEFAULT_POLICY, Policy
from router.core.prioritize import order_items, priority_key, ruleset_uses_time, top_block
from router.core.requirements import attach_requirements
from router.core.types import AgentState, Selector, SkillNeed, WorkItem

__all__ = [
    "DEFAULT_POLICY",
    "AgentState",
    "Classification",
    "ClassificationFailed",
    "Classified",
    "Decision",
    "DeclineOutcome",
    "Explanation",
    "ItemReport",
    "Offer",
    "Policy",
    "QueueBacklog",
    "Ranking",
    "Selector",
    "SkillNeed",
    "Skip",
    "WorkItem",
    "agent_fits",
    "attach_requirements",
    "classify",
    "cross_queue_order",
    "decide_for_agent",
    "decide_for_item",
    "decide_for_queue",
    "explain_item",
    "order_items",
    "priority_key",
    "rank_agents",
    "record_decline",
    "ruleset_uses_time",
    "top_block",
]
