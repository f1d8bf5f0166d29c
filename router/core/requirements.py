"""Requirement attachment and relaxation (SPEC C6).

Why attach once and keep the attach time: a selector that expires after N
seconds relaxes the item's requirements as it waits (ACS expiring selectors,
Genesys bullseye rings). Re-running attachment on an update (C5) keeps the
original attach time of requirements that still apply, so an update never
restarts the relaxation clock.
"""

from __future__ import annotations

from typing import Any

from msgspec import structs

from router.config.model import RequirementRule, Workstream
from router.core.conditions import MISSING, resolve_value
from router.core.resolve import item_matches, item_resolver, item_value
from router.core.types import Selector, SkillNeed, WorkItem
from router.core.value_types import SEQUENCE_TYPES


def rule_label(index: int, rule: RequirementRule) -> str:
    """Stable name of a requirement rule (its name, else its position)."""
    return rule.name or f"requirements[{index}]"


def _skill_names(value: Any, minimum: int) -> list[tuple[str, int]]:
    """Skills copied from an item field: a name, a list of names, or name->level."""
    if value is MISSING or value is None:
        return []
    if isinstance(value, str):
        return [(value, minimum)] if value else []
    if isinstance(value, dict):
        return [
            (
                str(k),
                max(minimum, int(v)) if isinstance(v, int) and not isinstance(v, bool) else minimum,
            )
            for k, v in value.items()
        ]
    if isinstance(value, SEQUENCE_TYPES):
        return [(str(v), minimum) for v in value if isinstance(v, str) and v]
    return []


def attach_requirements(item: WorkItem, workstream: Workstream, now: float) -> WorkItem:
    """The item with the workstream's requirement rules applied at ``now``.

    Requirements attached by rules are recomputed; those already present keep
    their attach time. Requirements without a rule name (set by the connector)
    are kept as they are.
    """
    resolve = item_resolver(item, now)
    old_skills = {(s.rule, s.skill): s for s in item.skills if s.rule}
    old_selectors = {(s.rule, s.key, s.op): s for s in item.selectors if s.rule}
    skills = [s for s in item.skills if not s.rule]
    selectors = [s for s in item.selectors if not s.rule]
    for index, rule in enumerate(workstream.requirements):
        if not item_matches(rule.when, item, now):
            continue
        label = rule_label(index, rule)
        for spec in rule.skills:
            if spec.skill is not None:
                pairs = [(spec.skill, spec.min_proficiency)]
            else:
                pairs = _skill_names(
                    item_value(item, spec.from_item or "", now), spec.min_proficiency
                )
            for name, level in pairs:
                previous = old_skills.get((label, name))
                skills.append(
                    SkillNeed(
                        skill=name,
                        min_proficiency=level,
                        attached_at=previous.attached_at if previous else now,
                        expires_after_seconds=rule.expires_after_seconds,
                        rule=label,
                    )
                )
        for sel in rule.selectors:
            prev = old_selectors.get((label, sel.key, sel.op))
            value = resolve_value(sel.value, resolve)
            selectors.append(
                Selector(
                    key=sel.key,
                    op=sel.op,
                    value=None if value is MISSING else value,
                    required=sel.required,
                    attached_at=prev.attached_at if prev else now,
                    expires_after_seconds=sel.expires_after_seconds
                    if sel.expires_after_seconds is not None
                    else rule.expires_after_seconds,
                    rule=label,
                )
            )
    return structs.replace(item, skills=tuple(skills), selectors=tuple(selectors))


def active_skills(item: WorkItem, now: float) -> tuple[SkillNeed, ...]:
    """Skills still required at ``now``."""
    return tuple(s for s in item.skills if s.active(now))


def active_selectors(item: WorkItem, now: float) -> tuple[Selector, ...]:
    """Selectors still applying at ``now``."""
    return tuple(s for s in item.selectors if s.active(now))


def next_expiry(item: WorkItem, now: float) -> float | None:
    """When the next requirement relaxes (for scheduling a re-check), if ever."""
    requirements: list[SkillNeed | Selector] = [*item.skills, *item.selectors]
    times = [
        r.attached_at + r.expires_after_seconds
        for r in requirements
        if r.expires_after_seconds is not None and r.attached_at + r.expires_after_seconds > now
    ]
    return min(times) if times else None
