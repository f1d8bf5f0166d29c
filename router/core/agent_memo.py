"""Each agent's filter reason and rank key, remembered across the decisions of a run.

Why: an item decision filters and ranks every candidate agent of the queue (about two
microseconds an agent, most of a decision), yet consecutive decisions of one queue see
almost the same agents: a run of item decisions changes only the agent it just charged,
and the store hands back the very same snapshot objects for agents that did not change
between reads. Snapshots are immutable, so an agent's reason and key for a given item
profile stay exact for as long as the snapshot object is the same one.

An item profile is everything of the item's context that the filter and the key read
besides the agent: the queue, workstream and policy (by identity: they are the
configuration's own objects), and the skills and required selectors still active (what
they compare, not when they were attached).
Items with per-agent inputs (declines), or whose key or pool depends on the item itself
(best-worker labels and scores, custom rules), are not remembered: the caller decides
them the plain way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from router.core.eligibility import ItemContext, filter_reason, quick_check
from router.core.ordering import Key, Ranker
from router.core.types import AgentState

UNCACHED_METHODS = frozenset({"best_worker", "custom"})
MAX_PROFILES = 64
"""Item profiles remembered at once; beyond that the oldest is dropped."""

Entry = tuple[AgentState, str | None, Key | None]
"""The snapshot the entry was computed for, its filter reason (None: eligible) and,
when eligible, its rank key."""


class AgentMemo:
    """Per item profile, the last evaluation of each agent, keyed by agent id and valid
    while the snapshot is the same object."""

    def __init__(self, max_profiles: int = MAX_PROFILES) -> None:
        self._max = max_profiles
        self._profiles: dict[Any, tuple[ItemContext, dict[str, Entry]]] = {}

    def evaluate(self, ctx: ItemContext, agents: Sequence[AgentState]
                 ) -> tuple[list[AgentState], Counter[str], list[Key]] | None:
        """The eligible agents in the given order, the filtered count by reason and the
        eligible agents' rank keys; None when this item cannot be remembered."""
        profile = _profile(ctx)
        if profile is None:
            return None
        known = self._profiles.get(profile)
        if known is not None and not _same_config(known[0], ctx):
            known = None  # an identity was reused by another configuration object
        before = known[1] if known is not None else {}
        entries: dict[str, Entry] = {}
        check: Callable[[AgentState], bool] | None = None
        ranker: Ranker | None = None
        eligible: list[AgentState] = []
        keys: list[Key] = []
        filtered: Counter[str] = Counter()
        for agent in agents:
            entry = before.get(agent.id)
            if entry is None or entry[0] is not agent:
                if check is None or ranker is None:
                    check, ranker = quick_check(ctx), Ranker(ctx)
                reason = None if check(agent) else filter_reason(agent, ctx)
                entry = (agent, reason, None if reason is not None else ranker.key(agent))
            entries[agent.id] = entry
            reason, key = entry[1], entry[2]
            if key is not None:
                eligible.append(agent)
                keys.append(key)
            elif reason is not None:
                filtered[reason] += 1
        self._remember(profile, ctx, entries)
        return eligible, filtered, keys

    def _remember(self, profile: Any, ctx: ItemContext, entries: dict[str, Entry]) -> None:
        profiles = self._profiles
        profiles.pop(profile, None)
        if len(profiles) >= self._max:
            del profiles[next(iter(profiles))]
        profiles[profile] = (ctx, entries)


def _profile(ctx: ItemContext) -> Any:
    """What the filter and the key read of the item; None when not rememberable."""
    if ctx.item.declines or ctx.queue.assignment.method in UNCACHED_METHODS:
        return None
    # Skills and selectors by what is compared, not when they were attached: two items
    # needing the same skill are one profile.
    profile = (id(ctx.queue), id(ctx.workstream), id(ctx.policy),
               tuple((need.skill, need.min_proficiency) for need in ctx.skills),
               tuple((s.key, s.op, s.value) for s in ctx.required_selectors))
    try:
        hash(profile)
    except TypeError:  # a selector compares with a list value
        return None
    return profile


def _same_config(earlier: ItemContext, ctx: ItemContext) -> bool:
    return (earlier.queue is ctx.queue and earlier.workstream is ctx.workstream
            and earlier.policy is ctx.policy)
