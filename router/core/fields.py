"""Names a condition or order-by may refer to, in one place.

Why: the config validator must reject a misspelt field (``atributes.vip``) with an
actionable message, and the evaluator must resolve exactly the same names. Both
import these catalogs, so the two cannot disagree.

Item fields are used by route-to-queue, requirement and prioritization rules;
agent fields by assignment rules (whose dynamic values refer to item fields).
"""

from __future__ import annotations

#: Item fields with a fixed name. ``age_seconds`` and ``seconds_to_deadline`` are
#: evaluated at ``now`` (SPEC P4).
ITEM_FIELDS: frozenset[str] = frozenset(
    {
        "id",
        "tenant",
        "workstream",
        "channel",
        "queue",
        "priority",
        "created_at",
        "last_interaction_at",
        "deadline",
        "age_seconds",
        "seconds_to_deadline",
        "preferred_agents",
        "affinity_agent",
    }
)
#: Item field prefixes followed by a free key, e.g. ``attributes.vip``.
ITEM_PREFIXES: tuple[str, ...] = ("attributes.",)

#: Agent fields with a fixed name (assignment rulesets, SPEC M5).
AGENT_FIELDS: frozenset[str] = frozenset(
    {
        "id",
        "presence",
        "status",
        "available_units",
        "used_units",
        "total_units",
        "has_capacity",
        "skill_count",
        "requirements_met",
        "is_working",
        "queues",
    }
)
#: Agent field prefixes: labels/attributes, skill proficiency, free items per profile.
AGENT_PREFIXES: tuple[str, ...] = ("attributes.", "skills.", "profile_available.")


def is_item_field(name: str) -> bool:
    """True when ``name`` is a known item field or ``attributes.<key>``."""
    return name in ITEM_FIELDS or _prefixed(name, ITEM_PREFIXES)


def is_agent_field(name: str) -> bool:
    """True when ``name`` is a known agent field or a prefixed agent field."""
    return name in AGENT_FIELDS or _prefixed(name, AGENT_PREFIXES)


def _prefixed(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name.startswith(p) and len(name) > len(p) for p in prefixes)
