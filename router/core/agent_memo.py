"""Each agent's filter reason and rank key, remembered across the decisions of a run.

Why: an item decision filters and ranks every candidate agent of the queue (about two
microseconds an agent, most of a decision), yet consecutive decisions of one queue see
almost the same agents: a run of item decisions changes only the agent it just charged,
and the store hands back the very same snapshot objects for agents that did not change
between reads. Snapshots are immutable, so an agent's reason and key for a given item
profile stay exact for as long as the snapshot object is the same one.

Two levels: `AgentMemo` keeps the entries across reads (per tenant, keyed by snapshot
identity), and `ViewRanks` keeps, for one charged view, each profile's eligible agents
in rank order, updating only the agents the view charged since, so a decision in a run
costs a few dictionary and list operations instead of a pass over every agent.

An item profile is everything of the item's context that the filter and the key read
besides the agent: the queue, workstream and policy (by identity: they are the
configuration's own objects), and the skills and required selectors still active (what
they compare, not when they were attached). Items with per-agent inputs (declines), or
whose key or pool depends on the item itself (best-worker labels and scores, custom
rules), are not remembered: the caller decides them the plain way.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
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


Best = tuple[tuple[int, Key], tuple[int, Key] | None]
"""The best two eligible agents: position in `eligible` and rank key (None: only one)."""


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The agents of one decision, filtered and ranked: the eligible ones in the order
    given, the filtered count by reason (in order of first appearance), and the best two
    (None when nobody is eligible). The lists belong to the evaluator; read them before
    its next evaluation."""

    eligible: list[AgentState]
    filtered: Mapping[str, int]
    best: Best | None


class Evaluator:
    """Computes entries for one item context, the plain way, lazily."""

    __slots__ = ("_check", "_ctx", "_ranker")

    def __init__(self, ctx: ItemContext) -> None:
        self._ctx = ctx
        self._check: Callable[[AgentState], bool] | None = None
        self._ranker: Ranker | None = None

    def __call__(self, agent: AgentState) -> Entry:
        if self._check is None or self._ranker is None:
            self._check, self._ranker = quick_check(self._ctx), Ranker(self._ctx)
        reason = None if self._check(agent) else filter_reason(agent, self._ctx)
        return agent, reason, None if reason is not None else self._ranker.key(agent)


class AgentMemo:
    """Per item profile, the last evaluation of each agent, keyed by agent id and valid
    while the snapshot is the same object."""

    def __init__(self, max_profiles: int = MAX_PROFILES) -> None:
        self._max = max_profiles
        self._profiles: dict[Any, tuple[ItemContext, dict[str, Entry]]] = {}

    def entries(self, ctx: ItemContext, agents: Iterable[AgentState]) -> list[Entry] | None:
        """Each agent's entry, in order; None when this item cannot be remembered."""
        profile = profile_of(ctx)
        if profile is None:
            return None
        known = self._profiles.get(profile)
        if known is not None and not _same_config(known[0], ctx):
            known = None  # an identity was reused by another configuration object
        before = known[1] if known is not None else {}
        evaluate = Evaluator(ctx)
        found: dict[str, Entry] = {}
        listed: list[Entry] = []
        for agent in agents:
            entry = before.get(agent.id)
            if entry is None or entry[0] is not agent:
                entry = evaluate(agent)
            found[agent.id] = entry
            listed.append(entry)
        self._remember(profile, ctx, found)
        return listed

    def _remember(self, profile: Any, ctx: ItemContext, entries: dict[str, Entry]) -> None:
        profiles = self._profiles
        profiles.pop(profile, None)
        if len(profiles) >= self._max:
            del profiles[next(iter(profiles))]
        profiles[profile] = (ctx, entries)


class _Ranks:
    """One profile's agents in one view: entries in view order, the eligible agents in
    view order, and their (key, id) pairs sorted best first."""

    __slots__ = ("ctx", "eligible", "entries", "evaluate", "filtered", "position", "ranked",
                 "synced")

    def __init__(self, ctx: ItemContext, entries: Iterable[Entry], synced: int) -> None:
        self.ctx = ctx
        self.evaluate = Evaluator(ctx)
        """Valid for every item of the profile: the filter and key read nothing else."""
        self.entries = {entry[0].id: entry for entry in entries}
        self.synced = synced
        self.eligible: list[AgentState] = []
        self.position: dict[str, int] = {}
        self.ranked: list[tuple[Key, str]] = []
        self.filtered: Counter[str] = Counter()
        self._rebuild()

    def _rebuild(self) -> None:
        self.eligible, self.position, self.ranked = [], {}, []
        self.filtered = Counter()
        for agent, reason, key in self.entries.values():
            if key is not None:
                self.position[agent.id] = len(self.eligible)
                self.eligible.append(agent)
                self.ranked.append((key, agent.id))
            elif reason is not None:
                self.filtered[reason] += 1
        self.ranked.sort()

    def update(self, entry: Entry) -> None:
        agent, _, key = entry
        old = self.entries[agent.id]
        self.entries[agent.id] = entry
        if key is None or old[2] is None:  # eligibility changed: rare, start afresh
            self._rebuild()
            return
        ranked = self.ranked
        del ranked[bisect.bisect_left(ranked, (old[2], agent.id))]
        bisect.insort(ranked, (key, agent.id))
        self.eligible[self.position[agent.id]] = agent

    def evaluation(self) -> Evaluation:
        ranked, position = self.ranked, self.position
        if not ranked:
            return Evaluation(self.eligible, self.filtered, None)
        first = (position[ranked[0][1]], ranked[0][0])
        second = (position[ranked[1][1]], ranked[1][0]) if len(ranked) > 1 else None
        return Evaluation(self.eligible, self.filtered, (first, second))


class ViewRanks:
    """The ranks of one charged view (decide.ChargedView): built per profile on first
    use (from the memo), then kept up to date with the agents the view changed."""

    def __init__(self, agents: Mapping[str, AgentState], memo: AgentMemo | None) -> None:
        self._agents = agents
        self._memo = memo if memo is not None else AgentMemo()
        self._changed: list[str] = []
        self._ranks: dict[Any, _Ranks] = {}

    def changed(self, agent_id: str) -> None:
        """The view replaced this agent's snapshot (it charged the agent)."""
        self._changed.append(agent_id)

    def evaluate(self, ctx: ItemContext, agents: Sequence[AgentState]) -> Evaluation | None:
        """The view's agents (`agents`, in its order) for this item; None when the item
        cannot be remembered (the caller filters and ranks them itself)."""
        profile = profile_of(ctx)
        if profile is None:
            return None
        ranks = self._ranks.get(profile)
        if ranks is None or not _same_config(ranks.ctx, ctx):
            listed = self._memo.entries(ctx, agents)
            assert listed is not None  # same profile rules
            ranks = self._ranks[profile] = _Ranks(ctx, listed, len(self._changed))
        elif ranks.synced < len(self._changed):
            for agent_id in dict.fromkeys(self._changed[ranks.synced:]):
                ranks.update(ranks.evaluate(self._agents[agent_id]))
            ranks.synced = len(self._changed)
        return ranks.evaluation()


def profile_of(ctx: ItemContext) -> Any:
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
