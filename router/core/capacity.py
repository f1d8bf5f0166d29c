"""Capacity arithmetic (SPEC M2): check room, consume, and when wrap-up ends.

Why pure: the Lua commit re-checks the same preconditions atomically; the core
only decides who has room in the snapshot it was given and returns new
snapshots, so a cycle can place several items without over-committing anyone.
"""

from __future__ import annotations

from msgspec import structs

from router.config.model import CapacityCost, WrapUp
from router.core.policy import Policy
from router.core.types import AgentState


def profile_limit(agent: AgentState, profile: str, policy: Policy) -> int:
    """The agent's limit for a profile, else the tenant default, else 0."""
    limit = agent.profile_limits.get(profile)
    if limit is None:
        return policy.profile_defaults.get(profile, 0)
    return limit


def profile_free(agent: AgentState, profile: str, policy: Policy) -> int:
    """Items of this profile the agent can still take."""
    return profile_limit(agent, profile, policy) - agent.profile_used.get(profile, 0)


def capacity_problem(agent: AgentState, cost: CapacityCost, policy: Policy) -> str | None:
    """``None`` when the item fits, else ``unit_capacity`` or ``profile_capacity:<name>``."""
    if cost.units > 0 and agent.available_units < cost.units:
        return "unit_capacity"
    for profile in cost.profiles:
        if profile_free(agent, profile, policy) < 1:
            return f"profile_capacity:{profile}"
    return None


def consume(agent: AgentState, cost: CapacityCost, queue: str, now: float) -> AgentState:
    """The agent after taking an item: capacity used and last assignment in ``queue``."""
    used = dict(agent.profile_used)
    for profile in cost.profiles:
        used[profile] = used.get(profile, 0) + 1
    last = dict(agent.last_assigned_at)
    last[queue] = now
    return structs.replace(
        agent, used_units=agent.used_units + cost.units, profile_used=used, last_assigned_at=last
    )


def wrap_up_release_at(wrap_up: WrapUp, completed_at: float) -> float | None:
    """When capacity is released after completion; ``None`` means when the item closes."""
    if wrap_up.mode == "none":
        return completed_at
    if wrap_up.mode == "seconds":
        return completed_at + float(wrap_up.seconds or 0)
    return None
