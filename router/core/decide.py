"""Entry points of the core: decide for an item, for a queue cycle, for an agent.

Why three: item-triggered cycles (arrival, decline) look for the best agent for
one item; a queue cycle walks the top block of a queue (P7) placing items one by
one on snapshots whose capacity it updates as it goes; agent-triggered cycles
(presence or capacity change) look for the best item across the agent's queues
(P5). All three are pure: inputs in, decisions out, nothing mutated.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from msgspec import Struct, structs

from router.config.model import Queue, Workstream
from router.core.agent_memo import AgentMemo, Best, ViewRanks
from router.core.capacity import capacity_problem, consume
from router.core.decision import (
    MANUAL_ONLY,
    NO_ELIGIBLE_AGENT,
    NO_ELIGIBLE_ITEM,
    NO_RULE_MATCHED,
    WAITING_FOR_PREFERRED,
    Decision,
    Explanation,
    Offer,
    Skip,
)
from router.core.declines import is_manual_only
from router.core.eligibility import ItemContext, filter_reason, make_context, quick_check
from router.core.ordering import Key, Ranker, plain, rule_matches, select_rule, two_smallest
from router.core.policy import DEFAULT_POLICY, Policy
from router.core.prioritize import fifo_key, top_block
from router.core.types import AgentState, WorkItem

MAX_PREFERRED = 3


@dataclass(frozen=True, slots=True)
class Ranking:
    """Eligible agents of one item in rank order, with the rule that selected them."""

    ordered: list[tuple[AgentState, Key]]
    eligible: list[AgentState]
    filtered: dict[str, int]
    rule_index: int | None
    rule: str | None
    ranker: Ranker | None = field(default=None, compare=False)


def _split(agents: Iterable[AgentState], ctx: ItemContext) -> tuple[list[AgentState], Counter[str]]:
    agents = list(agents)
    passed = list(map(quick_check(ctx), agents))
    if all(passed):  # the common case: no Python-level loop at all
        return agents, Counter()
    eligible: list[AgentState] = []
    filtered: Counter[str] = Counter()
    for agent, ok in zip(agents, passed, strict=True):
        if ok:
            eligible.append(agent)
            continue
        reason = filter_reason(agent, ctx)
        if reason is None:
            eligible.append(agent)
        else:
            filtered[reason] += 1
    return eligible, filtered


def _rule_name(queue: Queue, index: int | None) -> str:
    if queue.assignment.method != "custom":
        return queue.assignment.method
    if index is None:
        return "none"
    name = queue.assignment.rules[index].name
    return f"rules[{index}] {name}" if name else f"rules[{index}]"


def rank_agents(
    item: WorkItem,
    queue: Queue,
    workstream: Workstream,
    agents: Iterable[AgentState],
    now: float,
    policy: Policy = DEFAULT_POLICY,
) -> Ranking:
    """All eligible agents for ``item``, best first, under the queue's method."""
    ctx = make_context(item, queue, workstream, policy, now)
    eligible, filtered = _split(agents, ctx)
    index: int | None = None
    pool = eligible
    if queue.assignment.method == "custom":
        index, pool = select_rule(ctx, eligible)
    ranker = Ranker(ctx, index)
    ordered = sorted(((a, ranker.key(a)) for a in pool), key=lambda pair: pair[1])
    rule = _rule_name(queue, index)
    return Ranking(ordered, eligible, dict(filtered), index, rule, ranker)


def _explanation(
    ctx: ItemContext,
    *,
    candidates: int,
    eligible: int,
    filtered: Mapping[str, int],
    rule: str | None,
    notes: tuple[str, ...] = (),
) -> Explanation:
    return Explanation(
        queue=ctx.queue.id,
        method=ctx.queue.assignment.method,
        rule=rule,
        candidates=candidates,
        eligible=eligible,
        filtered=dict(filtered),
        notes=notes,
        config_version=ctx.policy.config_version,
    )


def _offer(ctx: ItemContext, agent: AgentState, explanation: Explanation) -> Offer:
    ws = ctx.workstream
    direct = ws.offer_mode == "direct"
    return Offer(
        item=ctx.item,
        agent=agent,
        queue=ctx.queue.id,
        mode=ws.offer_mode,
        expires_at=None if direct else ctx.now + ws.offer_timeout_seconds,
        units=ws.capacity.units,
        profiles=ws.capacity.profiles,
        explanation=explanation,
    )


def bound_agents(item: WorkItem) -> list[str]:
    """Affinity agent first, then up to three preferred agents, in order (P6)."""
    bound = [item.affinity_agent] if item.affinity_agent else []
    bound.extend(a for a in item.preferred_agents[:MAX_PREFERRED] if a not in bound)
    return bound


def decide_for_item(
    item: WorkItem,
    queue: Queue,
    workstream: Workstream,
    agents: Sequence[AgentState],
    now: float,
    policy: Policy = DEFAULT_POLICY,
    memo: ViewRanks | None = None,
) -> Decision:
    """The best agent for ``item`` in ``queue`` at ``now``, or why there is none.

    Order of business: an item declined by too many distinct agents is left for a
    manual pick (O2); agents are filtered (membership, presence, decline limit,
    capacity, exact skills, required selectors); the affinity agent, then the
    preferred agents in order, win if eligible (P6; they need base eligibility
    only, not an assignment rule); otherwise the queue's method ranks the pool
    (for ``custom``, the agents matched by the first rule matching anyone).

    ``memo`` gives the agents already filtered and ranked, when it remembers them
    (agent_memo.py: a charged view's ranks); the decision is the same with or without.
    """
    ctx = make_context(item, queue, workstream, policy, now)
    if is_manual_only(item, policy):
        expl = _explanation(
            ctx,
            candidates=len(agents),
            eligible=0,
            filtered={},
            rule=None,
            notes=(f"declined by {len(item.declines)} distinct agents",),
        )
        return Skip(reason=MANUAL_ONLY, item=item, explanation=expl)
    remembered = memo.evaluate(ctx, agents) if memo is not None else None
    best: Best | None = None
    filtered: Mapping[str, int]
    if remembered is None:
        eligible, filtered = _split(agents, ctx)
    else:
        eligible, filtered, best = remembered.eligible, remembered.filtered, remembered.best

    def base(rule: str | None, notes: tuple[str, ...] = ()) -> Explanation:
        return _explanation(
            ctx,
            candidates=len(agents),
            eligible=len(eligible),
            filtered=filtered,
            rule=rule,
            notes=notes,
        )

    bound = bound_agents(item)
    if bound:
        by_id = {a.id: a for a in eligible}
        for position, agent_id in enumerate(bound):
            chosen = by_id.get(agent_id)
            if chosen is not None:
                label = (
                    "affinity"
                    if agent_id == item.affinity_agent
                    else f"preferred_agents[{item.preferred_agents.index(agent_id)}]"
                )
                expl = base(label)
                expl = _with_winner(expl, chosen, None, None, None, position=position)
                return _offer(ctx, chosen, expl)
        if workstream.preferred_agents == "stay_queued":
            expl = base(None, (f"none of {bound} is eligible",))
            return Skip(reason=WAITING_FOR_PREFERRED, item=item, explanation=expl)

    if not eligible:
        expl = base(None)
        return Skip(reason=NO_ELIGIBLE_AGENT, item=item, explanation=expl)

    index: int | None = None
    pool = eligible
    if queue.assignment.method == "custom":
        index, pool = select_rule(ctx, eligible)
        if index is None:
            expl = base(None)
            return Skip(reason=NO_RULE_MATCHED, item=item, explanation=expl)
    ranker: Ranker | None = None
    if pool is not eligible or best is None:
        ranker = Ranker(ctx, index)
        keys = list(map(ranker.key, pool))
        first, second = two_smallest(keys)
        best = ((first, keys[first]),
                (second, keys[second]) if second is not None else None)
    # Remembered keys are never those of best_worker, the one method with a score.
    (first, winner_key), runner = best
    winner = pool[first]
    expl = base(_rule_name(queue, index))
    expl = _with_winner(
        expl,
        winner,
        winner_key,
        pool[runner[0]] if runner is not None else None,
        runner[1] if runner is not None else None,
        ranker=ranker,
        pool=len(pool),
    )
    return _offer(ctx, winner, expl)


def _with_winner(
    expl: Explanation,
    winner: AgentState,
    winner_key: Key | None,
    runner: AgentState | None,
    runner_key: Key | None,
    *,
    ranker: Ranker | None = None,
    pool: int | None = None,
    position: int | None = None,
) -> Explanation:
    notes = list(expl.notes)
    if pool is not None and pool != expl.eligible:
        notes.append(f"{pool} of {expl.eligible} eligible agents matched the rule")
    if position is not None:
        notes.append(f"bound agent #{position + 1} was eligible")
    return structs.replace(
        expl,
        winner=winner.id,
        winner_key=plain(winner_key) if winner_key is not None else None,
        winner_score=ranker.score(winner) if ranker else None,
        runner_up=runner.id if runner else None,
        runner_up_key=plain(runner_key) if runner_key is not None else None,
        runner_up_score=ranker.score(runner) if ranker and runner else None,
        notes=tuple(notes),
    )


def decide_for_queue(
    queue: Queue,
    workstreams: Mapping[str, Workstream],
    items: Iterable[WorkItem],
    agents: Sequence[AgentState],
    now: float,
    policy: Policy = DEFAULT_POLICY,
    block_size: int | None = None,
) -> list[Decision]:
    """One assignment cycle over the top block of a queue (P7).

    Items are taken best first; each offer consumes the agent's capacity in the
    cycle's local snapshot, so one cycle never over-commits an agent.
    """
    size = block_size if block_size is not None else _block_size(workstreams)
    view = ChargedView(agents)
    decisions: list[Decision] = []
    for item in top_block(items, queue, now, size):
        ws = workstreams.get(item.workstream)
        if ws is None:
            expl = Explanation(queue=queue.id, notes=(f"unknown workstream {item.workstream!r}",))
            decisions.append(Skip(reason="unknown_workstream", item=item, explanation=expl))
            continue
        decisions.append(view.decide(item, queue, ws, now, policy))
    return decisions


class ChargedView:
    """Agents as a run of item decisions leaves them: each offer charges its agent here,
    as the store will on commit, so the next decision never over-commits an agent.
    Shared by queue cycles and by item decisions made together (service layer)."""

    def __init__(self, agents: Iterable[AgentState], memo: AgentMemo | None = None) -> None:
        self._current = {a.id: a for a in agents}
        self._ranks = ViewRanks(self._current, memo)
        """Per item profile, the agents in rank order, kept up to date as offers charge
        them: a decision in a run looks at the agents it changed, not at every one."""

    def decide(self, item: WorkItem, queue: Queue, workstream: Workstream, now: float,
               policy: Policy = DEFAULT_POLICY) -> Decision:
        decision = decide_for_item(item, queue, workstream, list(self._current.values()),
                                   now, policy, self._ranks)
        if isinstance(decision, Offer):
            agent_id = decision.agent.id
            self._current[agent_id] = consume(decision.agent, workstream.capacity, queue.id,
                                              now)
            self._ranks.changed(agent_id)
        return decision


def _block_size(workstreams: Mapping[str, Workstream]) -> int:
    sizes = [w.effective_block_size for w in workstreams.values()]
    return max(sizes) if sizes else 100


# -- agent-triggered cycles (P5) -----------------------------------------------------


class QueueBacklog(Struct, frozen=True, kw_only=True):
    """One queue the agent belongs to, its workstreams and its top items."""

    queue: Queue
    workstreams: dict[str, Workstream]
    items: tuple[WorkItem, ...]
    block_size: int | None = None


def agent_fits(
    agent: AgentState,
    item: WorkItem,
    queue: Queue,
    workstream: Workstream,
    now: float,
    policy: Policy = DEFAULT_POLICY,
) -> str | None:
    """``None`` when ``agent`` may be offered ``item`` now, else why not."""
    if is_manual_only(item, policy):
        return MANUAL_ONLY
    ctx = make_context(item, queue, workstream, policy, now)
    reason = filter_reason(agent, ctx)
    if reason is not None:
        return reason
    bound = bound_agents(item)
    if bound and workstream.preferred_agents == "stay_queued" and agent.id not in bound:
        return WAITING_FOR_PREFERRED
    if queue.assignment.method == "custom" and not any(
        rule_matches(rule, agent, ctx) for rule in queue.assignment.rules
    ):
        return NO_RULE_MATCHED
    return None


def cross_queue_order(backlogs: Sequence[QueueBacklog]) -> list[tuple[int, list[QueueBacklog]]]:
    """Tiers of queues in the order an agent is served from them (P5).

    Lower group first; inside a group, all FIFO queues form one tier (oldest item
    across them first), then each custom-prioritized queue alone, by name.
    """
    groups: dict[int, list[QueueBacklog]] = {}
    for backlog in backlogs:
        groups.setdefault(backlog.queue.group, []).append(backlog)
    tiers: list[tuple[int, list[QueueBacklog]]] = []
    for group in sorted(groups):
        members = groups[group]
        fifo = [b for b in members if b.queue.is_fifo]
        custom = sorted(
            (b for b in members if not b.queue.is_fifo),
            key=lambda b: (b.queue.display_name.casefold(), b.queue.display_name, b.queue.id),
        )
        if fifo:
            tiers.append((group, fifo))
        tiers.extend((group, [b]) for b in custom)
    return tiers


def _candidates(tier: list[QueueBacklog], now: float) -> list[tuple[QueueBacklog, WorkItem]]:
    if len(tier) == 1 and not tier[0].queue.is_fifo:
        backlog = tier[0]
        size = backlog.block_size or _block_size(backlog.workstreams)
        return [(backlog, it) for it in top_block(backlog.items, backlog.queue, now, size)]
    merged: list[tuple[QueueBacklog, WorkItem]] = []
    for backlog in tier:
        size = backlog.block_size or _block_size(backlog.workstreams)
        merged.extend((backlog, it) for it in top_block(backlog.items, backlog.queue, now, size))
    merged.sort(key=lambda pair: (*fifo_key(pair[1]), pair[0].queue.id))
    return merged


def _no_room_for_any(agent: AgentState, backlogs: Sequence[QueueBacklog],
                     policy: Policy) -> str | None:
    """The capacity reason when the agent cannot take an item of any workstream waiting
    in its queues, else None."""
    problem: str | None = None
    costs_seen: set[str] = set()
    for backlog in backlogs:
        for item in backlog.items:
            if item.workstream in costs_seen:
                continue
            costs_seen.add(item.workstream)
            ws = backlog.workstreams.get(item.workstream)
            if ws is None:
                return None
            problem = capacity_problem(agent, ws.capacity, policy)
            if problem is None:
                return None
    return problem


def decide_for_agent(
    agent: AgentState,
    backlogs: Sequence[QueueBacklog],
    now: float,
    policy: Policy = DEFAULT_POLICY,
) -> Decision:
    """The best item for ``agent`` across its queues at ``now`` (P5, P6)."""
    full = _no_room_for_any(agent, backlogs, policy)
    if full is not None:
        # Cheap exit for the commonest agent cycle under load (a release that still
        # leaves too little room): no item needs to be looked at.
        return Skip(reason=NO_ELIGIBLE_ITEM, agent=agent, explanation=Explanation(
            filtered={full: sum(len(b.items) for b in backlogs)},
            notes=(f"agent {agent.id} has no room for any waiting item",),
            config_version=policy.config_version,
        ))
    skipped: Counter[str] = Counter()
    considered = 0
    ordered: list[tuple[str, list[tuple[QueueBacklog, WorkItem]]]] = []
    affinity = [(b, it) for b in backlogs for it in b.items if it.affinity_agent == agent.id]
    affinity.sort(key=lambda pair: fifo_key(pair[1]))
    if affinity:
        ordered.append(("affinity", affinity))
    for group, tier in cross_queue_order(backlogs):
        kind = "fifo" if tier[0].queue.is_fifo else "custom"
        names = ",".join(b.queue.id for b in tier)
        ordered.append((f"group {group} {kind} [{names}]", _candidates(tier, now)))
    seen: set[tuple[str, str]] = set()
    for label, candidates in ordered:
        for backlog, item in candidates:
            if (backlog.queue.id, item.id) in seen:
                continue
            seen.add((backlog.queue.id, item.id))
            considered += 1
            ws = backlog.workstreams.get(item.workstream)
            if ws is None:
                skipped["unknown_workstream"] += 1
                continue
            reason = agent_fits(agent, item, backlog.queue, ws, now, policy)
            if reason is not None:
                skipped[reason] += 1
                continue
            ctx = make_context(item, backlog.queue, ws, policy, now)
            expl = Explanation(
                queue=backlog.queue.id,
                method=backlog.queue.assignment.method,
                rule=label,
                candidates=considered,
                eligible=1,
                filtered=dict(skipped),
                winner=agent.id,
                notes=(f"item {item.id} chosen for agent {agent.id}",),
                config_version=policy.config_version,
            )
            return _offer(ctx, agent, expl)
    expl = Explanation(
        candidates=considered,
        filtered=dict(skipped),
        notes=(f"no queued item fits agent {agent.id}",),
        config_version=policy.config_version,
    )
    return Skip(reason=NO_ELIGIBLE_ITEM, agent=agent, explanation=expl)
