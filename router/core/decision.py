"""What the core returns: an Offer or a Skip, each with its explanation (B1).

Why an explanation on every decision: operators must be able to answer "why did
this agent get this item" and "why is this item still waiting" from the
decision record alone, without re-running anything.
"""

from __future__ import annotations

from typing import Any, Literal

from msgspec import Struct

from router.core.types import AgentState, WorkItem


class Explanation(Struct, frozen=True, kw_only=True):
    """Why a decision came out the way it did."""

    queue: str | None = None
    method: str | None = None
    rule: str | None = None
    candidates: int = 0
    eligible: int = 0
    filtered: dict[str, int] = {}
    winner: str | None = None
    winner_key: list[Any] | None = None
    winner_score: float | None = None
    runner_up: str | None = None
    runner_up_key: list[Any] | None = None
    runner_up_score: float | None = None
    notes: tuple[str, ...] = ()
    config_version: int | None = None


class Offer(Struct, frozen=True, kw_only=True, tag="offer"):
    """Propose ``item`` to ``agent`` (``mode='direct'``: assign without asking)."""

    item: WorkItem
    agent: AgentState
    queue: str
    mode: Literal["offer", "direct"] = "offer"
    expires_at: float | None = None
    units: int = 0
    profiles: tuple[str, ...] = ()
    explanation: Explanation


class Skip(Struct, frozen=True, kw_only=True, tag="skip"):
    """No offer; ``reason`` is a stable code, details are in the explanation."""

    reason: str
    item: WorkItem | None = None
    agent: AgentState | None = None
    explanation: Explanation


Decision = Offer | Skip

# Stable Skip reason codes.
NO_ELIGIBLE_AGENT = "no_eligible_agent"
NO_RULE_MATCHED = "no_assignment_rule_matched"
WAITING_FOR_PREFERRED = "waiting_for_preferred_agent"
MANUAL_ONLY = "manual_pick_only"
NO_ELIGIBLE_ITEM = "no_eligible_item"
