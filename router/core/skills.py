"""Skill matching (SPEC M3): exact match filters, closest match ranks.

Why a fit class: closest match orders agents exact first, then over-qualified,
then under-qualified; within a class the smaller total distance is closer.
"""

from __future__ import annotations

from collections.abc import Sequence

from router.core.types import AgentState, SkillNeed

EXACT, OVER, UNDER = 0, 1, 2


def meets_all(agent: AgentState, needs: Sequence[SkillNeed]) -> bool:
    """Every needed skill at or above its minimum proficiency."""
    skills = agent.skills
    return all(skills.get(n.skill, -1) >= n.min_proficiency for n in needs)


def first_unmet(agent: AgentState, needs: Sequence[SkillNeed]) -> SkillNeed | None:
    """The first need the agent does not meet (for explanations)."""
    for need in needs:
        if agent.skills.get(need.skill, -1) < need.min_proficiency:
            return need
    return None


def fit(agent: AgentState, needs: Sequence[SkillNeed]) -> tuple[int, float]:
    """(class, distance): class EXACT / OVER / UNDER, distance = sum of differences.

    A missing skill counts as proficiency 0 (under-qualified).
    """
    over: float = 0
    under: float = 0
    for need in needs:
        have = agent.skills.get(need.skill, 0)
        if have > need.min_proficiency:
            over += have - need.min_proficiency
        elif have < need.min_proficiency or need.skill not in agent.skills:
            under += max(need.min_proficiency - have, 1)
    if under:
        return (UNDER, under)
    if over:
        return (OVER, over)
    return (EXACT, 0)


def proficiency_sum(agent: AgentState, needs: Sequence[SkillNeed]) -> float:
    """Sum of the agent's proficiency in the needed skills (assignment order-by)."""
    return sum((agent.skills.get(n.skill, 0) for n in needs), 0.0)
