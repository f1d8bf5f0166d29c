"""Who may take an item at all (SPEC M1, M2, M3, M6, O2).

Why one filter returning a reason: the same check backs the decision (eligible
or not) and the explanation (how many agents each condition filtered out). The
checks run cheapest first, and the first failing one is the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from router.config.model import Queue, Workstream
from router.core.capacity import capacity_problem
from router.core.conditions import compare, lookup
from router.core.policy import Policy
from router.core.types import AgentState, Selector, SkillNeed, WorkItem

NOT_MEMBER = "not_member"
PRESENCE = "presence"
DECLINED = "declined_limit"
SKILLS = "skills"
SELECTOR = "selector"


@dataclass(frozen=True, slots=True)
class ItemContext:
    """Everything about one item that eligibility and ordering reuse per agent."""

    item: WorkItem
    queue: Queue
    workstream: Workstream
    policy: Policy
    now: float
    skills: tuple[SkillNeed, ...]
    required_selectors: tuple[Selector, ...]
    selectors: tuple[Selector, ...]
    allowed_presences: frozenset[str]
    members: frozenset[str] | None
    exact_skills: bool


def make_context(
    item: WorkItem, queue: Queue, workstream: Workstream, policy: Policy, now: float
) -> ItemContext:
    """Precompute active requirements (C6 expiry at ``now``) and allowed presences."""
    selectors = tuple(s for s in item.selectors if s.active(now))
    return ItemContext(
        item=item,
        queue=queue,
        workstream=workstream,
        policy=policy,
        now=now,
        skills=tuple(s for s in item.skills if s.active(now)),
        required_selectors=tuple(s for s in selectors if s.required),
        selectors=selectors,
        allowed_presences=frozenset(workstream.allowed_presences),
        members=None if queue.members is None else frozenset(queue.members),
        exact_skills=workstream.skill_matching == "exact",
    )


def presence_allowed(agent: AgentState, ctx: ItemContext) -> bool:
    """The agent's status, or the base status it maps to, is allowed (M1)."""
    allowed = ctx.allowed_presences
    return agent.presence in allowed or ctx.policy.base_presence(agent.presence) in allowed


def is_member(agent: AgentState, ctx: ItemContext) -> bool:
    """Member through its own memberships or the queue's configured member list."""
    if ctx.queue.id in agent.queues:
        return True
    return ctx.members is not None and agent.id in ctx.members


def selector_matches(agent: AgentState, selector: Selector) -> bool:
    """A worker selector against the agent's labels (attributes)."""
    return compare(selector.op, lookup(agent.attributes, selector.key), selector.value)


def filter_reason(agent: AgentState, ctx: ItemContext) -> str | None:
    """``None`` when eligible, else the code of the first failing check.

    Runs once per agent per decision, so the common checks are inlined.
    """
    if ctx.queue.id not in agent.queues and (ctx.members is None or agent.id not in ctx.members):
        return NOT_MEMBER
    if agent.presence not in ctx.allowed_presences and not presence_allowed(agent, ctx):
        return f"{PRESENCE}:{agent.presence}"
    declines = ctx.item.declines
    if declines and declines.get(agent.id, 0) >= ctx.policy.decline_limit:
        return DECLINED
    cost = ctx.workstream.capacity
    if cost.units > agent.total_units - agent.used_units or cost.profiles:
        problem = capacity_problem(agent, cost, ctx.policy)
        if problem is not None:
            return problem
    if ctx.exact_skills:
        skills = agent.skills
        for need in ctx.skills:
            if skills.get(need.skill, -1) < need.min_proficiency:
                return f"{SKILLS}:{need.skill}>={need.min_proficiency}"
    for selector in ctx.required_selectors:
        if not selector_matches(agent, selector):
            return f"{SELECTOR}:{selector.key} {selector.op} {selector.value!r}"
    return None


def is_eligible(agent: AgentState, ctx: ItemContext) -> bool:
    """Shorthand for ``filter_reason(...) is None``."""
    return filter_reason(agent, ctx) is None
