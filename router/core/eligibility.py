"""Who may take an item at all (SPEC M1, M2, M3, M6, O2).

Why one filter returning a reason: the same check backs the decision (eligible
or not) and the explanation (how many agents each condition filtered out). The
checks run cheapest first, and the first failing one is the reason.
"""

from __future__ import annotations

from collections.abc import Callable
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


def quick_check(ctx: ItemContext) -> Callable[[AgentState], bool]:
    """A fast, conservative eligibility test specialised for one item.

    Why: eligibility runs for every agent of every decision. ``True`` guarantees
    ``filter_reason(agent, ctx) is None``; ``False`` only means "ask
    ``filter_reason``", which then gives the reason (or admits the agent, e.g. a
    member through the queue's own list or a custom presence). So the fast path
    can skip rare cases without changing any decision.
    """
    qid = ctx.queue.id
    allowed = ctx.allowed_presences
    declines = ctx.item.declines
    limit = ctx.policy.decline_limit
    units = ctx.workstream.capacity.units
    profiles = ctx.workstream.capacity.profiles
    defaults = ctx.policy.profile_defaults
    needs = tuple((n.skill, n.min_proficiency) for n in ctx.skills) if ctx.exact_skills else ()
    required = ctx.required_selectors

    def check(agent: AgentState) -> bool:
        if (
            qid not in agent.queues
            or agent.presence not in allowed
            or units > agent.total_units - agent.used_units
            or (declines and declines.get(agent.id, 0) >= limit)
        ):
            return False
        if profiles:
            limits, used = agent.profile_limits, agent.profile_used
            for profile in profiles:
                room = limits.get(profile)
                if room is None:
                    room = defaults.get(profile, 0)
                if room - used.get(profile, 0) < 1:
                    return False
        if needs:
            skills = agent.skills
            for skill, minimum in needs:
                if skills.get(skill, -1) < minimum:
                    return False
        if required:
            for selector in required:
                if not selector_matches(agent, selector):
                    return False
        return True

    return check
