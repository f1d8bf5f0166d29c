"""Why an item is (not) assignable (B1), backing ``router explain ITEM``.

Why a separate report: a decision explains one outcome; an operator asking
"why is this item still waiting" needs every agent's verdict (which condition
filtered it), which requirements are still active or already relaxed, and, for
assignment rulesets, how many agents each rule would match.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from msgspec import Struct

from router.config.model import Queue, Workstream
from router.core.decide import decide_for_item, rank_agents
from router.core.decision import Decision, Offer
from router.core.eligibility import filter_reason, make_context
from router.core.ordering import plain, rule_matches
from router.core.policy import DEFAULT_POLICY, Policy
from router.core.prioritize import priority_key
from router.core.types import AgentState, Selector, SkillNeed, WorkItem


class AgentVerdict(Struct, frozen=True, kw_only=True):
    """One agent's standing for the item: filtered (and why) or its rank."""

    agent: str
    eligible: bool
    reason: str | None = None
    rank: int | None = None
    key: list[Any] | None = None


class ItemReport(Struct, frozen=True, kw_only=True):
    """Everything that explains an item's state at ``now``."""

    item: str
    queue: str
    assignable: bool
    status: str
    bucket: int
    order_key: list[float]
    active_requirements: tuple[str, ...]
    relaxed_requirements: tuple[str, ...]
    filtered: dict[str, int]
    rule_matches: dict[str, int]
    agents: tuple[AgentVerdict, ...]
    decision: Decision


def explain_item(
    item: WorkItem,
    queue: Queue,
    workstream: Workstream,
    agents: Sequence[AgentState],
    now: float,
    policy: Policy = DEFAULT_POLICY,
) -> ItemReport:
    """Explain who could take ``item`` now and, if nobody, what stands in the way."""
    ctx = make_context(item, queue, workstream, policy, now)
    ranking = rank_agents(item, queue, workstream, agents, now, policy)
    ranks = {a.id: (i, key) for i, (a, key) in enumerate(ranking.ordered)}
    verdicts = []
    for agent in agents:
        reason = filter_reason(agent, ctx)
        if reason is None and agent.id not in ranks:
            reason = "no_assignment_rule_matched"
        position = ranks.get(agent.id)
        verdicts.append(
            AgentVerdict(
                agent=agent.id,
                eligible=reason is None,
                reason=reason,
                rank=None if position is None else position[0] + 1,
                key=None if position is None else plain(position[1]),
            )
        )
    per_rule: dict[str, int] = {}
    for index, rule in enumerate(
        queue.assignment.rules if queue.assignment.method == "custom" else ()
    ):
        label = f"rules[{index}] {rule.name}".strip()
        per_rule[label] = sum(1 for a in ranking.eligible if rule_matches(rule, a, ctx))
    requirements: list[SkillNeed | Selector] = [*item.skills, *item.selectors]
    active = tuple(_describe(r) for r in requirements if r.active(now))
    relaxed = tuple(_describe(r) for r in requirements if not r.active(now))
    decision = decide_for_item(item, queue, workstream, agents, now, policy)
    bucket, key = priority_key(item, queue, now)
    status = "assignable" if isinstance(decision, Offer) else decision.reason
    return ItemReport(
        item=item.id,
        queue=queue.id,
        assignable=isinstance(decision, Offer),
        status=status,
        bucket=bucket,
        order_key=list(key),
        active_requirements=active,
        relaxed_requirements=relaxed,
        filtered=ranking.filtered,
        rule_matches=per_rule,
        agents=tuple(verdicts),
        decision=decision,
    )


def _describe(requirement: SkillNeed | Selector) -> str:
    if isinstance(requirement, SkillNeed):
        return f"skill {requirement.skill}>={requirement.min_proficiency}"
    return f"selector {requirement.key} {requirement.op} {requirement.value!r}"
