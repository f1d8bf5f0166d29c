"""Field resolvers: turn a field name from a condition into a value.

Why separate: the names are the public vocabulary of the config (see
``router.core.fields``); keeping their meaning in one place keeps conditions,
order-by terms and explanations consistent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from msgspec import UnsetType

from router.config.model import Condition
from router.core.conditions import MISSING, Accessor, Check, Resolver, compile_condition, lookup
from router.core.types import AgentState, WorkItem

_ITEM_ATTRIBUTES = frozenset((
    "id", "tenant", "workstream", "channel", "queue", "priority", "created_at",
    "last_interaction_at", "deadline", "affinity_agent",
))


def item_value(item: WorkItem, name: str, now: float) -> Any:
    """Value of item field ``name`` at ``now`` (``MISSING`` when absent)."""
    if name.startswith("attributes."):
        return lookup(item.attributes, name[len("attributes.") :])
    if name == "age_seconds":
        return item.age(now)
    if name == "seconds_to_deadline":
        return MISSING if item.deadline is None else item.deadline - now
    if name in ("preferred_agents",):
        return list(item.preferred_agents)
    if name in _ITEM_ATTRIBUTES:
        value = getattr(item, name)
        return MISSING if value is None else value
    return MISSING


def _present(value: Any) -> Any:
    return MISSING if value is None else value


def item_field(name: str) -> Accessor[WorkItem]:
    """``item_value(item, name, now)`` as a function of (item, now), the name dispatched
    once (for compiled conditions)."""
    if name.startswith("attributes."):
        path = name[len("attributes."):]
        if "." not in path:
            return lambda item, now: item.attributes.get(path, MISSING)
        return lambda item, now: lookup(item.attributes, path)
    if name in _ITEM_ATTRIBUTES:
        return lambda item, now: _present(getattr(item, name))
    return lambda item, now: item_value(item, name, now)


_COMPILED: dict[int, tuple[Condition, Check[WorkItem]]] = {}
_COMPILED_MAX = 4096


def item_condition(cond: Condition) -> Check[WorkItem]:
    """The compiled form of an item condition of the configuration, compiled once.

    Keyed by identity (conditions hold lists, so they do not hash); the condition is
    kept with its compiled form, so an id reused after a configuration reload cannot
    return another condition's check."""
    entry = _COMPILED.get(id(cond))
    if entry is not None and entry[0] is cond:
        return entry[1]
    if len(_COMPILED) >= _COMPILED_MAX:  # configurations reloaded many times over
        _COMPILED.clear()
    check = compile_condition(cond, item_field)
    _COMPILED[id(cond)] = (cond, check)
    return check


def item_matches(cond: Condition | UnsetType, item: WorkItem, now: float) -> bool:
    """An optional rule condition on an item: unset matches every item."""
    return isinstance(cond, UnsetType) or item_condition(cond)(item, now)


def item_resolver(item: WorkItem, now: float) -> Resolver:
    """A resolver over one item at ``now``."""
    return lambda name: item_value(item, name, now)


AgentExtras = Callable[[str], Any]


def agent_value(agent: AgentState, name: str, extras: AgentExtras, base_presence: str) -> Any:
    """Value of agent field ``name``; item-dependent ones come from ``extras``."""
    if name.startswith("attributes."):
        return lookup(agent.attributes, name[len("attributes.") :])
    if name.startswith("skills."):
        return agent.skills.get(name[len("skills.") :], MISSING)
    if name.startswith("profile_available.") or name in ("has_capacity", "requirements_met"):
        return extras(name)
    if name == "presence":
        return base_presence
    if name == "status":
        return agent.presence
    if name == "available_units":
        return agent.available_units
    if name == "used_units":
        return agent.used_units
    if name == "total_units":
        return agent.total_units
    if name == "skill_count":
        return len(agent.skills)
    if name == "is_working":
        return MISSING if agent.is_working is None else agent.is_working
    if name == "queues":
        return list(agent.queues)
    if name == "id":
        return agent.id
    return MISSING
