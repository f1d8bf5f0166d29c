"""Ordering of eligible agents for one item (SPEC M4, M5, M3 closest match, O2).

Why sort keys: each assignment method is expressed as a tuple key where lower is
better. That makes "who wins" a ``min`` (cheap), "who is runner-up" the second
smallest, the property "nobody eligible ranks above the winner" checkable, and
the winner's and runner-up's keys printable in explanations (B1).

Every key has the same frame::

    (declines of this agent for this item,          # O2: decliners rank lower
     closest-match fit class and distance,          # M3, closest mode only
     method terms ...,                              # M4 / M5
     last assignment in this queue, joined queue, agent id)   # round-robin tie-break
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import total_ordering
from typing import Any

from msgspec import UnsetType

from router.config.model import AgentOrderBy, AssignmentRule
from router.core import skills as skillmatch
from router.core.capacity import capacity_problem, profile_free
from router.core.conditions import MISSING, Resolver, bind, evaluate, lookup
from router.core.eligibility import ItemContext, selector_matches
from router.core.resolve import agent_value, item_resolver
from router.core.scoring import job_labels, make_scorer
from router.core.types import AgentState

INF = float("inf")

Key = tuple[Any, ...]


@total_ordering
@dataclass(frozen=True, slots=True)
class Desc:
    """Wraps a value so that it sorts in descending order inside a tuple key."""

    value: Any

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Desc):
            return NotImplemented
        return bool(other.value < self.value)


def rr_key(agent: AgentState, queue_id: str) -> tuple[float, float, str]:
    """Advanced round robin: earliest last assignment here, then earliest join, then id."""
    return (
        agent.last_assigned_at.get(queue_id, -INF),
        agent.joined_at.get(queue_id, INF),
        agent.id,
    )


def value_term(value: Any, direction: str) -> tuple[Any, ...]:
    """Sortable term for a free value: numbers before strings, missing last."""
    if value is MISSING or value is None:
        return (2,)
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int | float):
        return (0, -float(value) if direction == "desc" else float(value))
    text = str(value)
    return (1, Desc(text) if direction == "desc" else text)


def profile_room(agent: AgentState, ctx: ItemContext) -> int:
    """Free items in the tightest of the item's profiles (0 when it has none)."""
    profiles = ctx.workstream.capacity.profiles
    if not profiles:
        return 0
    return min(profile_free(agent, p, ctx.policy) for p in profiles)


class AgentFields:
    """Resolver over one agent's fields; item-dependent ones computed for ``ctx``.

    A small class rather than closures: one is built per agent per decision.
    """

    __slots__ = ("agent", "ctx")

    def __init__(self, agent: AgentState, ctx: ItemContext) -> None:
        self.agent = agent
        self.ctx = ctx

    def __call__(self, name: str) -> Any:
        agent = self.agent
        if name.startswith("attributes."):
            key = name[11:]
            if "." in key:
                return lookup(agent.attributes, key)
            return agent.attributes.get(key, MISSING)
        if name == "presence":
            return self.ctx.policy.base_presence(agent.presence)
        if name == "has_capacity":
            return capacity_problem(agent, self.ctx.workstream.capacity, self.ctx.policy) is None
        if name == "requirements_met":
            ctx = self.ctx
            return skillmatch.meets_all(agent, ctx.skills) and all(
                selector_matches(agent, s) for s in ctx.required_selectors
            )
        if name.startswith("profile_available."):
            return profile_free(agent, name[len("profile_available.") :], self.ctx.policy)
        return agent_value(agent, name, _no_extras, agent.presence)


def _no_extras(name: str) -> Any:
    return MISSING


def agent_resolver(agent: AgentState, ctx: ItemContext) -> Resolver:
    """Resolver over one agent's fields for the item of ``ctx``."""
    return AgentFields(agent, ctx)


def rule_matches(rule: AssignmentRule, agent: AgentState, ctx: ItemContext) -> bool:
    """Does assignment rule ``rule`` accept ``agent`` for this item (M5)?"""
    if isinstance(rule.when, UnsetType):
        return True
    return evaluate(rule.when, agent_resolver(agent, ctx), item_resolver(ctx.item, ctx.now))


def select_rule(
    ctx: ItemContext, eligible: Sequence[AgentState]
) -> tuple[int | None, list[AgentState]]:
    """First assignment rule matching any eligible agent, and the agents it matches.

    Rules relax step by step (M5): if no rule matches anyone, ``(None, [])``.
    """
    if not eligible:
        return None, []
    resolvers: list[Resolver] | None = None
    item = item_resolver(ctx.item, ctx.now)
    for index, rule in enumerate(ctx.queue.assignment.rules):
        if isinstance(rule.when, UnsetType):
            return index, list(eligible)
        if resolvers is None:
            resolvers = [agent_resolver(a, ctx) for a in eligible]
        predicate = bind(rule.when, item)
        matched = [a for a, r in zip(eligible, resolvers, strict=True) if predicate(r)]
        if matched:
            return index, matched
    return None, []


def _order_term(order: AgentOrderBy, agent: AgentState, ctx: ItemContext) -> tuple[Any, ...]:
    by = order.by
    if by == "round_robin":
        last, joined, _ = rr_key(agent, ctx.queue.id)
        return (last, joined) if order.direction != "desc" else (-last, -joined)
    if by == "unit_capacity":
        return value_term(agent.available_units, order.direction or "desc")
    if by == "profile_capacity":
        return value_term(profile_room(agent, ctx), order.direction or "desc")
    if by == "proficiency":
        return value_term(skillmatch.proficiency_sum(agent, ctx.skills), order.direction or "desc")
    if by == "skill_count":
        return value_term(len(agent.skills), order.direction or "asc")
    if by == "least_active":
        release = agent.last_capacity_release_at
        return value_term(-INF if release is None else release, order.direction or "asc")
    # attribute
    return value_term(AgentFields(agent, ctx)(order.field or ""), order.direction or "asc")


class Ranker:
    """Computes the rank key of agents for one item under the queue's method."""

    def __init__(self, ctx: ItemContext, rule_index: int | None = None) -> None:
        self.ctx = ctx
        self.method = ctx.queue.assignment.method
        self.rule = (
            ctx.queue.assignment.rules[rule_index]
            if rule_index is not None and self.method == "custom"
            else None
        )
        self.closest = not ctx.exact_skills and bool(ctx.skills)
        self.labels = (
            job_labels(ctx.item, ctx.queue.assignment.best_worker)
            if self.method == "best_worker"
            else {}
        )
        self.scorer = make_scorer(ctx.selectors, self.labels)

    def score(self, agent: AgentState) -> float | None:
        """Best-worker match score (``None`` for other methods)."""
        if self.method != "best_worker":
            return None
        return self.scorer(agent)

    def key(self, agent: AgentState) -> Key:
        """Lower is better. See the module docstring for the frame."""
        ctx = self.ctx
        qid = ctx.queue.id
        head: tuple[Any, ...] = (ctx.item.declines.get(agent.id, 0),)
        if self.closest:
            head += skillmatch.fit(agent, ctx.skills)
        return (
            head
            + self.method_terms(agent)
            + (
                agent.last_assigned_at.get(qid, -INF),
                agent.joined_at.get(qid, INF),
                agent.id,
            )
        )

    def method_terms(self, agent: AgentState) -> tuple[Any, ...]:
        """The assignment method's own ordering terms."""
        method = self.method
        if method == "highest_capacity":
            # Units when the item costs units; else the tightest profile's free room.
            if self.ctx.workstream.capacity.units > 0:
                return (-agent.available_units,)
            return (-profile_room(agent, self.ctx),)
        if method == "round_robin":
            return ()
        if method == "least_active":
            release = agent.last_capacity_release_at
            return (-INF if release is None else release,)
        if method == "longest_idle":
            since = agent.available_since
            return (agent.load_ratio, INF if since is None else since)
        if method == "best_worker":
            since = agent.available_since
            score = self.scorer(agent)
            return (-score, INF if since is None else since)
        # custom
        if self.rule is None:
            return ()
        terms: tuple[Any, ...] = ()
        for order in self.rule.order_by:
            terms += _order_term(order, agent, self.ctx)
        return terms


def plain(key: Key) -> list[Any]:
    """A key as JSON-friendly values (for explanations)."""
    out: list[Any] = []
    for part in key:
        if isinstance(part, Desc):
            out.append(part.value)
        elif isinstance(part, float) and part in (INF, -INF):
            out.append(None)
        else:
            out.append(part)
    return out
