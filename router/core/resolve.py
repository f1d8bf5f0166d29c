"""Field resolvers: turn a field name from a condition into a value.

Why separate: the names are the public vocabulary of the config (see
``router.core.fields``); keeping their meaning in one place keeps conditions,
order-by terms and explanations consistent.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from msgspec import UnsetType

from router.config.model import Condition
from router.core.conditions import MISSING, Resolver, bind_fields, lookup
from router.core.types import AgentState, WorkItem

_ITEM_ATTRIBUTES = frozenset((
    "id", "tenant", "workstream", "channel", "queue", "priority", "created_at",
    "last_interaction_at", "deadline", "affinity_agent",
))


ItemAt = tuple[WorkItem, float]
"""An item and the time its fields are read at (``age_seconds`` depends on it)."""


@functools.lru_cache(maxsize=1024)
def item_field(name: str) -> Callable[[ItemAt], Any]:
    """Reads item field ``name`` of (item, now), ``MISSING`` when absent.

    Why a function per name: the name is dispatched once (prefix tests, slicing), not
    on every read; conditions compiled from the configuration hold these. Names come
    from the configuration, so the cache stays small."""
    if name.startswith("attributes."):
        path = name[len("attributes."):]
        if "." not in path:
            return lambda at: at[0].attributes.get(path, MISSING)
        return lambda at: lookup(at[0].attributes, path)
    if name == "age_seconds":
        return lambda at: at[0].age(at[1])
    if name == "seconds_to_deadline":
        return lambda at: MISSING if at[0].deadline is None else at[0].deadline - at[1]
    if name == "preferred_agents":
        return lambda at: list(at[0].preferred_agents)
    if name in _ITEM_ATTRIBUTES:
        return lambda at: _present(getattr(at[0], name))
    return lambda _at: MISSING


def item_value(item: WorkItem, name: str, now: float) -> Any:
    """Value of item field ``name`` at ``now`` (``MISSING`` when absent)."""
    return item_field(name)((item, now))


def _present(value: Any) -> Any:
    return MISSING if value is None else value


ItemCheck = Callable[[WorkItem, float], bool]
_COMPILED: dict[int, tuple[Condition, ItemCheck]] = {}
_COMPILED_MAX = 4096


def item_condition(cond: Condition) -> ItemCheck:
    """The compiled form of an item condition of the configuration, compiled once.

    Keyed by identity (conditions hold lists, so they do not hash); the condition is
    kept with its compiled form, so an id reused after a configuration reload cannot
    return another condition's check."""
    entry = _COMPILED.get(id(cond))
    if entry is not None and entry[0] is cond:
        return entry[1]
    if len(_COMPILED) >= _COMPILED_MAX:  # configurations reloaded many times over
        _COMPILED.clear()
    bound = bind_fields(cond, None, item_field)

    def check(item: WorkItem, now: float) -> bool:
        return bound((item, now))

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
