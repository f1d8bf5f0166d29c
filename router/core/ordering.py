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

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import total_ordering
from typing import Any

from msgspec import UnsetType

from router.config.model import AgentOrderBy, AssignmentRule
from router.core import skills as skillmatch
from router.core.capacity import capacity_problem, profile_free
from router.core.conditions import MISSING, Resolver, bind_fields, evaluate, lookup
from router.core.eligibility import ItemContext, selector_matches
from router.core.resolve import agent_value, item_resolver
from router.core.scoring import job_labels, make_scorer
from router.core.types import AgentState
from router.core.value_types import NUMBER_TYPES

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
    if isinstance(value, NUMBER_TYPES):
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


AgentGetter = Callable[[AgentState], Any]


def agent_field(name: str, ctx: ItemContext) -> AgentGetter:
    """``AgentFields(agent, ctx)(name)`` as a function of the agent, name resolved once."""
    if name.startswith("attributes."):
        key = name[11:]
        if "." in key:
            return lambda agent: lookup(agent.attributes, key)
        return lambda agent: agent.attributes.get(key, MISSING)
    if name.startswith("skills."):
        skill = name[7:]
        return lambda agent: agent.skills.get(skill, MISSING)
    if name.startswith("profile_available."):
        profile, policy = name[len("profile_available.") :], ctx.policy
        return lambda agent: profile_free(agent, profile, policy)
    if name == "presence":
        base = ctx.policy.base_presence
        return lambda agent: base(agent.presence)
    return lambda agent: AgentFields(agent, ctx)(name)


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
    item = item_resolver(ctx.item, ctx.now)

    def field(name: str) -> AgentGetter:
        return agent_field(name, ctx)

    for index, rule in enumerate(ctx.queue.assignment.rules):
        if isinstance(rule.when, UnsetType):
            return index, list(eligible)
        matched = list(filter(bind_fields(rule.when, item, field), eligible))
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


Terms = Callable[[AgentState], tuple[Any, ...]]


def _value_terms(get: AgentGetter, direction: str) -> Terms:
    """``value_term(get(agent), direction)``, with plain numbers handled inline."""
    desc = direction == "desc"

    def terms(agent: AgentState) -> tuple[Any, ...]:
        value = get(agent)
        kind = type(value)
        if kind is int or kind is float:
            return (0, -float(value) if desc else float(value))
        return value_term(value, direction)

    return terms


def _order_terms(order: AgentOrderBy, ctx: ItemContext) -> Terms:
    """``_order_term(order, agent, ctx)`` as a function of the agent."""
    by = order.by
    if by == "round_robin":
        qid = ctx.queue.id
        if order.direction != "desc":
            return lambda a: (a.last_assigned_at.get(qid, -INF), a.joined_at.get(qid, INF))
        return lambda a: (-a.last_assigned_at.get(qid, -INF), -a.joined_at.get(qid, INF))
    if by == "unit_capacity":
        return _value_terms(lambda a: a.total_units - a.used_units, order.direction or "desc")
    if by == "profile_capacity":
        return _value_terms(lambda a: profile_room(a, ctx), order.direction or "desc")
    if by == "proficiency":
        needs = ctx.skills
        return _value_terms(
            lambda a: skillmatch.proficiency_sum(a, needs), order.direction or "desc"
        )
    if by == "skill_count":
        return _value_terms(lambda a: len(a.skills), order.direction or "asc")
    if by == "least_active":
        return _value_terms(_release, order.direction or "asc")
    # attribute
    return _value_terms(agent_field(order.field or "", ctx), order.direction or "asc")


def _release(agent: AgentState) -> float:
    release = agent.last_capacity_release_at
    return -INF if release is None else release


class Ranker:
    """Computes the rank key of agents for one item under the queue's method.

    ``key`` is specialised once per item (method, rule and tie-breaks resolved up
    front); ``reference_key`` computes the same key term by term, as the module
    docstring describes it, and backs the tests of the fast one.
    """

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
        self.key: Callable[[AgentState], Key] = self._compile_key()

    def score(self, agent: AgentState) -> float | None:
        """Best-worker match score (``None`` for other methods)."""
        if self.method != "best_worker":
            return None
        return self.scorer(agent)

    def _compile_key(self) -> Callable[[AgentState], Key]:
        """The rank key function for this item; lower is better."""
        ctx = self.ctx
        qid = ctx.queue.id
        declined = ctx.item.declines.get
        terms = self._compile_terms()
        if self.closest or terms is not None:
            skills = ctx.skills
            fit = skillmatch.fit if self.closest else None
            method_terms = terms or _no_terms

            if fit is None:
                return lambda a: (
                    declined(a.id, 0),
                    *method_terms(a),
                    a.last_assigned_at.get(qid, -INF),
                    a.joined_at.get(qid, INF),
                    a.id,
                )
            return lambda a: (
                declined(a.id, 0),
                *fit(a, skills),
                *method_terms(a),
                a.last_assigned_at.get(qid, -INF),
                a.joined_at.get(qid, INF),
                a.id,
            )
        # The common methods without closest match: one flat tuple per agent.
        method = self.method
        if method == "highest_capacity" and ctx.workstream.capacity.units > 0:
            return lambda a: (
                declined(a.id, 0),
                -(a.total_units - a.used_units),
                a.last_assigned_at.get(qid, -INF),
                a.joined_at.get(qid, INF),
                a.id,
            )
        if method == "least_active":
            return lambda a: (
                declined(a.id, 0),
                _release(a),
                a.last_assigned_at.get(qid, -INF),
                a.joined_at.get(qid, INF),
                a.id,
            )
        if method == "longest_idle":
            return lambda a: (
                declined(a.id, 0),
                a.load_ratio,
                INF if a.available_since is None else a.available_since,
                a.last_assigned_at.get(qid, -INF),
                a.joined_at.get(qid, INF),
                a.id,
            )
        if method == "best_worker":
            scorer = self.scorer
            return lambda a: (
                declined(a.id, 0),
                -scorer(a),
                INF if a.available_since is None else a.available_since,
                a.last_assigned_at.get(qid, -INF),
                a.joined_at.get(qid, INF),
                a.id,
            )
        # round robin, and custom rules without order-by terms
        return lambda a: (
            declined(a.id, 0),
            a.last_assigned_at.get(qid, -INF),
            a.joined_at.get(qid, INF),
            a.id,
        )

    def _compile_terms(self) -> Terms | None:
        """Method terms needing the general key frame (``None``: a flat key exists)."""
        if self.method == "highest_capacity" and self.ctx.workstream.capacity.units <= 0:
            return lambda a: (-profile_room(a, self.ctx),)
        if self.method == "custom" and self.rule is not None and self.rule.order_by:
            parts = [_order_terms(order, self.ctx) for order in self.rule.order_by]
            if len(parts) == 1:
                return parts[0]

            def chained(a: AgentState) -> tuple[Any, ...]:
                out: tuple[Any, ...] = ()
                for part in parts:
                    out += part(a)
                return out

            return chained
        if self.closest:
            return self.method_terms
        return None

    def reference_key(self, agent: AgentState) -> Key:
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
        """The assignment method's own ordering terms (reference implementation)."""
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


def _no_terms(agent: AgentState) -> tuple[Any, ...]:
    return ()


def two_smallest(keys: Sequence[Key]) -> tuple[int, int | None]:
    """Positions of the smallest and second smallest keys (earliest on ties).

    Same result as ``heapq.nsmallest(2, ...)`` over the positions, in two C-level
    passes instead of a Python loop.
    """
    get = keys.__getitem__
    first = min(range(len(keys)), key=get)
    if len(keys) == 1:
        return first, None
    rest = itertools.chain(range(first), range(first + 1, len(keys)))
    return first, min(rest, key=get)


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
