"""Snapshot types the core decides on.

Why here and not in the event contract: the core must not depend on how events
look on the wire. The stream layer maps events and Redis state into these
immutable snapshots, calls the core, and commits what it returns. All times are
epoch seconds (floats); the core never reads a clock.
"""

from __future__ import annotations

from typing import Any, Literal

from msgspec import Struct

from router.config.model import Op, Value

ChannelKind = Literal["messaging", "voice", "records"]


class _Snap(Struct, frozen=True, kw_only=True):
    """Immutable snapshot (core functions return new values, never mutate)."""


class SkillNeed(_Snap, frozen=True, kw_only=True):
    """A required skill attached to an item (C6), relaxing after ``expires_at``."""

    skill: str
    min_proficiency: int = 1
    attached_at: float = 0.0
    expires_after_seconds: float | None = None
    rule: str = ""

    def active(self, now: float) -> bool:
        """Still required at ``now``?"""
        return self.expires_after_seconds is None or now < (
            self.attached_at + self.expires_after_seconds
        )


class Selector(_Snap, frozen=True, kw_only=True):
    """A worker selector on agent labels (ACS); ``required=False`` only scores."""

    key: str
    op: Op
    value: Value = None
    required: bool = True
    attached_at: float = 0.0
    expires_after_seconds: float | None = None
    rule: str = ""

    def active(self, now: float) -> bool:
        """Still applies at ``now``?"""
        return self.expires_after_seconds is None or now < (
            self.attached_at + self.expires_after_seconds
        )


class WorkItem(_Snap, frozen=True, kw_only=True):
    """A unit of work as the core sees it."""

    id: str
    tenant: str = ""
    workstream: str = ""
    channel: ChannelKind = "messaging"
    queue: str | None = None
    attributes: dict[str, Any] = {}
    priority: float | None = None
    created_at: float = 0.0
    last_interaction_at: float | None = None
    deadline: float | None = None
    skills: tuple[SkillNeed, ...] = ()
    selectors: tuple[Selector, ...] = ()
    preferred_agents: tuple[str, ...] = ()
    affinity_agent: str | None = None
    declines: dict[str, int] = {}

    def fifo_time(self) -> float:
        """Time FIFO order and age count from: last interaction for async messaging (P1)."""
        if self.channel == "messaging" and self.last_interaction_at is not None:
            return self.last_interaction_at
        return self.created_at

    def age(self, now: float) -> float:
        """Seconds waited at ``now`` (P1/P4)."""
        return now - self.fifo_time()


class AgentState(_Snap, frozen=True, kw_only=True):
    """An agent (worker) as the core sees it."""

    id: str
    tenant: str = ""
    presence: str = "offline"
    total_units: int = 0
    used_units: int = 0
    profile_limits: dict[str, int] = {}
    profile_used: dict[str, int] = {}
    skills: dict[str, float] = {}
    """Proficiency by skill; connectors may send fractions (3.5)."""
    attributes: dict[str, Any] = {}
    queues: tuple[str, ...] = ()
    last_assigned_at: dict[str, float] = {}
    joined_at: dict[str, float] = {}
    last_capacity_release_at: float | None = None
    available_since: float | None = None
    is_working: bool | None = None

    @property
    def available_units(self) -> int:
        """Unit capacity not yet consumed."""
        return self.total_units - self.used_units

    @property
    def load_ratio(self) -> float:
        """Consumed / total capacity (ACS longest idle); no capacity counts as full."""
        if self.total_units <= 0:
            return 1.0
        return self.used_units / self.total_units
