"""Property tests over random agents, items and configs (hypothesis).

- the chosen agent is always eligible (and matched by the deciding rule);
- no agent in the deciding pool ranks above the chosen one under the method's order;
- the same input gives the same decision, whatever the order agents are listed in;
- a queue cycle never over-commits an agent; inputs are never mutated.
"""

from __future__ import annotations

from typing import Any

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from router.config.model import Queue, Workstream
from router.core import Offer, Policy, Skip, decide_for_item, decide_for_queue
from router.core.eligibility import filter_reason, make_context
from router.core.ordering import Ranker, rule_matches, select_rule
from router.core.types import AgentState, Selector, SkillNeed, WorkItem

NOW = 1_700_000_000.0
SKILLS = ["tv", "radio", "fr"]
LANGS = ["en", "fr", "de"]
METHODS = [
    "highest_capacity",
    "round_robin",
    "least_active",
    "longest_idle",
    "best_worker",
    "custom",
]
RULE_POOL: list[dict[str, Any]] = [
    {
        "name": "same lang",
        "when": {
            "field": "attributes.language",
            "op": "eq",
            "value": {"item": "attributes.language"},
        },
        "order_by": [{"by": "unit_capacity"}],
    },
    {
        "name": "senior",
        "when": {"field": "attributes.seniority", "op": "ge", "value": 3},
        "order_by": [{"by": "attribute", "field": "attributes.seniority", "direction": "desc"}],
    },
    {
        "name": "skilled",
        "when": {"field": "requirements_met", "op": "eq", "value": True},
        "order_by": [{"by": "proficiency"}, {"by": "skill_count"}],
    },
    {
        "name": "not dnd",
        "when": {"not": {"field": "presence", "op": "eq", "value": "busy_dnd"}},
        "order_by": [{"by": "least_active"}],
    },
    {"name": "anyone", "order_by": [{"by": "round_robin"}]},
    {
        "name": "roomy",
        "when": {"field": "profile_available.chat", "op": "ge", "value": 1},
        "order_by": [{"by": "profile_capacity"}],
    },
]

maybe_time = st.one_of(st.none(), st.floats(min_value=NOW - 5000, max_value=NOW, allow_nan=False))


@st.composite
def agents_st(draw: st.DrawFn) -> list[AgentState]:
    count = draw(st.integers(min_value=0, max_value=12))
    agents = []
    for n in range(count):
        total = draw(st.integers(min_value=0, max_value=10))
        skills = draw(st.dictionaries(st.sampled_from(SKILLS), st.integers(0, 5), max_size=3))
        last = draw(maybe_time)
        joined = draw(maybe_time)
        agents.append(
            AgentState(
                id=f"a{n}",
                presence=draw(
                    st.sampled_from(["available", "busy", "busy_dnd", "away", "offline", "lunch"])
                ),
                total_units=total,
                used_units=draw(st.integers(0, total)),
                profile_used={"chat": draw(st.integers(0, 3))},
                skills=skills,
                attributes={
                    "language": draw(st.sampled_from(LANGS)),
                    "seniority": draw(st.integers(0, 5)),
                    "sales": draw(st.integers(1, 20)),
                },
                queues=("q",) if draw(st.integers(0, 9)) else ("other",),
                last_assigned_at={} if last is None else {"q": last},
                joined_at={} if joined is None else {"q": joined},
                last_capacity_release_at=draw(maybe_time),
                available_since=draw(maybe_time),
            )
        )
    return agents


@st.composite
def item_st(draw: st.DrawFn, with_preferred: bool = False) -> WorkItem:
    skills = tuple(
        SkillNeed(
            skill=s,
            min_proficiency=draw(st.integers(0, 5)),
            attached_at=NOW - 100,
            expires_after_seconds=draw(st.sampled_from([None, 50.0, 500.0])),
        )
        for s in draw(st.lists(st.sampled_from(SKILLS), unique=True, max_size=2))
    )
    selectors = tuple(
        draw(
            st.lists(
                st.sampled_from(
                    [
                        Selector(key="language", op="eq", value="fr", required=False),
                        Selector(key="sales", op="ge", value=10, required=False),
                        Selector(key="sales", op="le", value=15),
                        Selector(key="seniority", op="ne", value=0),
                    ]
                ),
                max_size=3,
            )
        )
    )
    declines = draw(
        st.dictionaries(
            st.sampled_from([f"a{n}" for n in range(12)]), st.integers(1, 5), max_size=4
        )
    )
    preferred: tuple[str, ...] = ()
    if with_preferred:
        preferred = tuple(
            draw(st.lists(st.sampled_from([f"a{n}" for n in range(12)]), unique=True, max_size=3))
        )
    return WorkItem(
        id=draw(st.sampled_from(["i1", "i2", "i3"])),
        workstream="ws",
        channel=draw(st.sampled_from(["messaging", "voice", "records"])),
        attributes={"language": draw(st.sampled_from(LANGS)), "product": "tv"},
        created_at=NOW - draw(st.integers(0, 3000)),
        skills=skills,
        selectors=selectors,
        declines=declines,
        preferred_agents=preferred,
    )


@st.composite
def config_st(draw: st.DrawFn) -> tuple[Queue, Workstream, Policy]:
    method = draw(st.sampled_from(METHODS))
    assignment: dict[str, Any] = {"method": method}
    if method == "custom":
        assignment["rules"] = draw(st.lists(st.sampled_from(RULE_POOL), min_size=1, max_size=4))
    queue = msgspec.convert({"id": "q", "assignment": assignment}, Queue)
    profiles = ["chat"] if draw(st.booleans()) else []
    ws = msgspec.convert(
        {
            "id": "ws",
            "channel": "messaging",
            "allowed_presences": draw(
                st.lists(
                    st.sampled_from(["available", "busy", "busy_dnd", "lunch"]),
                    min_size=1,
                    unique=True,
                )
            ),
            "capacity": {"units": draw(st.integers(0 if profiles else 1, 3)), "profiles": profiles},
            "skill_matching": draw(st.sampled_from(["exact", "closest"])),
            "preferred_agents": draw(st.sampled_from(["next_best", "stay_queued"])),
        },
        Workstream,
    )
    policy = Policy(
        decline_limit=draw(st.integers(1, 5)),
        presence_map={"lunch": "away"},
        profile_defaults={"chat": 3},
    )
    return queue, ws, policy


@settings(max_examples=300, deadline=None)
@given(agents_st(), item_st(with_preferred=True), config_st())
def test_chosen_agent_is_always_eligible(
    agents: list[AgentState], item: WorkItem, cfg: Any
) -> None:
    queue, ws, policy = cfg
    before = msgspec.json.encode([agents, item])
    decision = decide_for_item(item, queue, ws, agents, NOW, policy)
    ctx = make_context(item, queue, ws, policy, NOW)
    eligible = [a for a in agents if filter_reason(a, ctx) is None]
    if isinstance(decision, Offer):
        assert filter_reason(decision.agent, ctx) is None
        assert decision.agent in agents
        assert decision.explanation.eligible == len(eligible)
        assert sum(decision.explanation.filtered.values()) == len(agents) - len(eligible)
    else:
        assert isinstance(decision, Skip)
        if decision.reason == "no_eligible_agent":
            assert eligible == []
    assert msgspec.json.encode([agents, item]) == before  # nothing mutated


@settings(max_examples=300, deadline=None)
@given(agents_st(), item_st(), config_st())
def test_nobody_in_the_pool_ranks_above_the_chosen_agent(
    agents: list[AgentState], item: WorkItem, cfg: Any
) -> None:
    queue, ws, policy = cfg
    decision = decide_for_item(item, queue, ws, agents, NOW, policy)
    ctx = make_context(item, queue, ws, policy, NOW)
    eligible = [a for a in agents if filter_reason(a, ctx) is None]
    index, pool = (
        select_rule(ctx, eligible) if queue.assignment.method == "custom" else (None, eligible)
    )
    if not pool:
        assert isinstance(decision, Skip)
        return
    assert isinstance(decision, Offer)
    ranker = Ranker(ctx, index)
    chosen = ranker.key(decision.agent)
    assert all(chosen <= ranker.key(a) for a in pool)
    if index is not None:
        rules = queue.assignment.rules
        assert rule_matches(rules[index], decision.agent, ctx)
        # No earlier rule matched any eligible agent (gradual relaxation).
        assert not any(rule_matches(r, a, ctx) for r in rules[:index] for a in eligible)


@settings(max_examples=200, deadline=None)
@given(agents_st(), item_st(with_preferred=True), config_st(), st.randoms(use_true_random=False))
def test_same_input_same_decision_in_any_agent_order(
    agents: list[AgentState], item: WorkItem, cfg: Any, rnd: Any
) -> None:
    queue, ws, policy = cfg
    first = decide_for_item(item, queue, ws, agents, NOW, policy)
    again = decide_for_item(item, queue, ws, agents, NOW, policy)
    assert msgspec.json.encode(first) == msgspec.json.encode(again)
    shuffled = list(agents)
    rnd.shuffle(shuffled)
    other = decide_for_item(item, queue, ws, shuffled, NOW, policy)
    assert type(other) is type(first)
    if isinstance(first, Offer) and isinstance(other, Offer):
        assert other.agent.id == first.agent.id
        assert other.explanation.runner_up == first.explanation.runner_up


@settings(max_examples=150, deadline=None)
@given(agents_st(), st.lists(item_st(), max_size=8), config_st())
def test_queue_cycle_never_overcommits(
    agents: list[AgentState], items: list[WorkItem], cfg: Any
) -> None:
    queue, ws, policy = cfg
    unique = list({it.id: it for it in items}.values())
    decisions = decide_for_queue(queue, {"ws": ws}, unique, agents, NOW, policy)
    taken: dict[str, int] = {}
    chats: dict[str, int] = {}
    for d in decisions:
        if isinstance(d, Offer):
            taken[d.agent.id] = taken.get(d.agent.id, 0) + d.units
            chats[d.agent.id] = chats.get(d.agent.id, 0) + (1 if "chat" in d.profiles else 0)
    by_id = {a.id: a for a in agents}
    for aid, units in taken.items():
        a = by_id[aid]
        assert a.used_units + units <= a.total_units or units == 0
        assert a.profile_used.get("chat", 0) + chats[aid] <= 3 or chats[aid] == 0
    assert len(decisions) == len(unique)


@settings(max_examples=200, deadline=None)
@given(agents_st(), item_st())
def test_fast_scorer_and_bound_conditions_agree_with_the_reference(
    agents: list[AgentState], item: WorkItem
) -> None:
    from router.config.model import BestWorkerParams, Condition
    from router.core.conditions import bind, evaluate
    from router.core.ordering import AgentFields
    from router.core.resolve import item_resolver
    from router.core.scoring import job_labels, make_scorer, match_score

    labels = job_labels(item, BestWorkerParams())
    for selectors in (item.selectors, ()):
        fast = make_scorer(selectors, labels)
        for a in agents:
            assert fast(a) == match_score(a, selectors, labels)
    queue = msgspec.convert({"id": "q"}, Queue)
    ws = msgspec.convert({"id": "ws", "channel": "voice"}, Workstream)
    ctx = make_context(item, queue, ws, Policy(), NOW)
    resolve = item_resolver(item, NOW)
    for rule in RULE_POOL:
        if "when" not in rule:
            continue
        cond = msgspec.convert(rule["when"], Condition)
        predicate = bind(cond, resolve)
        for a in agents:
            fields = AgentFields(a, ctx)
            assert predicate(fields) == evaluate(cond, fields, resolve)


@settings(max_examples=300, deadline=None)
@given(agents_st(), item_st(), config_st())
def test_fast_paths_agree_with_the_reference(
    agents: list[AgentState], item: WorkItem, cfg: Any
) -> None:
    """Quick eligibility, compiled rank keys, compiled rules and two_smallest."""
    from router.config.model import Condition
    from router.core.conditions import bind_fields, evaluate
    from router.core.eligibility import quick_check
    from router.core.ordering import AgentFields, agent_field, two_smallest
    from router.core.resolve import item_resolver

    queue, ws, policy = cfg
    ctx = make_context(item, queue, ws, policy, NOW)
    quick = quick_check(ctx)
    for a in agents:
        if quick(a):
            assert filter_reason(a, ctx) is None
    rules = queue.assignment.rules
    for index in [None, *range(len(rules))]:
        ranker = Ranker(ctx, index)
        keys = [ranker.key(a) for a in agents]
        assert keys == [ranker.reference_key(a) for a in agents]
        if keys:
            first, second = two_smallest(keys)
            pairs = sorted(range(len(keys)), key=lambda i: (keys[i], i))
            assert first == pairs[0]
            assert second == (pairs[1] if len(pairs) > 1 else None)
    resolve = item_resolver(item, NOW)
    names = ["id", "status", "queues", "skills.tv", "attributes.x.y", "available_units", ""]
    for rule in RULE_POOL + [
        {"when": {"field": n, "op": op, "value": v}}
        for n in names
        for op, v in [("eq", "a0"), ("ge", 2), ("contains_data", None), ("in", ["q"])]
    ]:
        if "when" not in rule:
            continue
        cond = msgspec.convert(rule["when"], Condition)
        predicate = bind_fields(cond, resolve, lambda name: agent_field(name, ctx))
        for a in agents:
            assert predicate(a) == evaluate(cond, AgentFields(a, ctx), resolve)
