"""Time-driven priority (P4), block size (P7), affinity and preferred agents (P6),
queue cycles, explanations (B1) and the bundled sample config end to end."""

from __future__ import annotations

from core_helpers import MIN, NOW, agent, item, queue, workstream

from router.config import load_config
from router.core import (
    Classified,
    Offer,
    Policy,
    QueueBacklog,
    Skip,
    attach_requirements,
    classify,
    decide_for_agent,
    decide_for_item,
    decide_for_queue,
    explain_item,
    priority_key,
    ruleset_uses_time,
    top_block,
)
from router.core.types import SkillNeed

SLA_RULES = [
    {
        "name": "breaching within 10 minutes",
        "when": {"field": "seconds_to_deadline", "op": "le", "value": 600},
        "order_by": [{"field": "seconds_to_deadline", "direction": "asc"}],
    },
    {
        "name": "waiting over an hour",
        "when": {"field": "age_seconds", "op": "gt", "value": 3600},
    },
]


def test_item_moves_up_a_bucket_as_its_deadline_nears_without_any_event() -> None:
    q = queue(prioritization=SLA_RULES)
    assert ruleset_uses_time(q)
    assert not ruleset_uses_time(queue())
    case = item("case", created_at=NOW, deadline=NOW + 30 * MIN)
    assert priority_key(case, q, NOW)[0] == 2  # last bucket, FIFO
    assert priority_key(case, q, NOW + 20 * MIN)[0] == 0
    old = item("old", created_at=NOW - 2 * 3600)
    assert priority_key(old, q, NOW)[0] == 1
    at = NOW + 25 * MIN
    assert [it.id for it in top_block([old, case], q, at, 10)] == ["case", "old"]


def test_block_size_bounds_a_cycle() -> None:
    items = [item(f"i{n:03}", created_at=NOW - n) for n in range(300)]
    block = top_block(items, queue(), NOW, 100)
    assert len(block) == 100
    assert block[0].id == "i299" and block[-1].id == "i200"
    assert workstream(channel="records").effective_block_size == 2000
    assert workstream(channel="voice").effective_block_size == 100
    assert workstream(block_size=7).effective_block_size == 7
    decisions = decide_for_queue(queue(), {"ws": workstream()}, items, [], NOW, block_size=5)
    assert len(decisions) == 5


def test_queue_cycle_never_overcommits_an_agent() -> None:
    ws = workstream(capacity={"units": 4})
    agents = [agent("a", total_units=10), agent("b", total_units=4)]
    items = [item(f"i{n}", created_at=NOW - 10 + n) for n in range(5)]
    decisions = decide_for_queue(queue(), {"ws": ws}, items, agents, NOW)
    offered = [(d.item.id, d.agent.id) for d in decisions if isinstance(d, Offer)]
    assert offered == [("i0", "a"), ("i1", "a"), ("i2", "b")]
    assert [d.reason for d in decisions if isinstance(d, Skip)] == ["no_eligible_agent"] * 2
    assert agents[0].used_units == 0


def test_affinity_agent_first_and_item_ahead_of_others() -> None:
    q = queue("highest_capacity")
    agents = [agent("big", total_units=50), agent("mine", total_units=5)]
    bound = item("bound", affinity_agent="mine", created_at=NOW - 1)
    d = decide_for_item(bound, q, workstream(), agents, NOW)
    assert isinstance(d, Offer) and d.agent.id == "mine" and d.explanation.rule == "affinity"
    assert priority_key(bound, queue(prioritization=SLA_RULES), NOW)[0] == -1
    older = item("older", created_at=NOW - 99 * MIN)
    backlog = QueueBacklog(queue=q, workstreams={"ws": workstream()}, items=(older, bound))
    pick = decide_for_agent(agents[1], [backlog], NOW)
    assert isinstance(pick, Offer) and pick.item.id == "bound"
    assert pick.explanation.rule == "affinity"


def test_preferred_agents_in_order_then_fallback_policy() -> None:
    q = queue("highest_capacity")
    agents = [
        agent("p1", presence="offline"),
        agent("p2", total_units=3),
        agent("other", total_units=30),
    ]
    chat = item(preferred_agents=("p1", "p2", "p3"))
    d = decide_for_item(chat, q, workstream(), agents, NOW)
    assert isinstance(d, Offer) and d.agent.id == "p2"
    assert d.explanation.rule == "preferred_agents[1]"
    nobody = item(preferred_agents=("p1",))
    d = decide_for_item(nobody, q, workstream(), agents, NOW)
    assert isinstance(d, Offer) and d.agent.id == "other"
    d = decide_for_item(nobody, q, workstream(preferred_agents="stay_queued"), agents, NOW)
    assert isinstance(d, Skip) and d.reason == "waiting_for_preferred_agent"
    backlog = QueueBacklog(
        queue=q, workstreams={"ws": workstream(preferred_agents="stay_queued")}, items=(nobody,)
    )
    d = decide_for_agent(agents[2], [backlog], NOW)
    assert isinstance(d, Skip) and d.explanation.filtered == {"waiting_for_preferred_agent": 1}


def test_offer_carries_mode_deadline_cost_and_config_version() -> None:
    ws = workstream(offer_timeout_seconds=20, capacity={"units": 30, "profiles": ["chat"]})
    policy = Policy(profile_defaults={"chat": 2}, config_version=7)
    d = decide_for_item(item(), queue(), ws, [agent("a", total_units=100)], NOW, policy)
    assert isinstance(d, Offer)
    assert (d.mode, d.expires_at, d.units, d.profiles) == ("offer", NOW + 20, 30, ("chat",))
    assert d.explanation.config_version == 7
    assert d.explanation.candidates == 1 and d.explanation.eligible == 1
    direct = decide_for_item(item(), queue(), workstream(offer_mode="direct"), [agent("a")], NOW)
    assert isinstance(direct, Offer) and direct.mode == "direct" and direct.expires_at is None


def test_explanation_counts_filters_and_keys() -> None:
    need = (SkillNeed(skill="tv", min_proficiency=3),)
    agents = [
        agent("ok1", skills={"tv": 3}, total_units=9),
        agent("ok2", skills={"tv": 4}, total_units=5),
        agent("weak", skills={"tv": 1}),
        agent("away", presence="away"),
        agent("full", total_units=1, used_units=1, skills={"tv": 5}),
    ]
    d = decide_for_item(item(skills=need), queue(), workstream(), agents, NOW)
    assert isinstance(d, Offer)
    e = d.explanation
    assert (e.method, e.rule, e.candidates, e.eligible) == (
        "highest_capacity",
        "highest_capacity",
        5,
        2,
    )
    assert e.filtered == {"skills:tv>=3": 1, "presence:away": 1, "unit_capacity": 1}
    assert (e.winner, e.runner_up) == ("ok1", "ok2")
    assert e.winner_key == [0, -9, None, None, "ok1"]
    assert e.runner_up_key == [0, -5, None, None, "ok2"]


def test_explain_item_says_why_nobody_can_take_it() -> None:
    need = (
        SkillNeed(skill="legal", min_proficiency=2, attached_at=NOW - 10, expires_after_seconds=5),
        SkillNeed(skill="tv", min_proficiency=3),
    )
    agents = [agent("weak", skills={"tv": 1}), agent("away", presence="away", skills={"tv": 5})]
    report = explain_item(item(skills=need), queue(), workstream(), agents, NOW)
    assert not report.assignable and report.status == "no_eligible_agent"
    assert report.active_requirements == ("skill tv>=3",)
    assert report.relaxed_requirements == ("skill legal>=2",)
    assert [(v.agent, v.reason) for v in report.agents] == [
        ("weak", "skills:tv>=3"),
        ("away", "presence:away"),
    ]
    assert report.filtered == {"skills:tv>=3": 1, "presence:away": 1}


def test_explain_item_ranks_and_rule_matches() -> None:
    rules = [
        {"name": "gold", "when": {"field": "attributes.tier", "op": "eq", "value": "gold"}},
        {"name": "all"},
    ]
    q = queue("custom", rules=rules)
    agents = [agent("g", attributes={"tier": "gold"}), agent("s"), agent("t")]
    report = explain_item(item(), q, workstream(), agents, NOW)
    assert report.assignable and report.rule_matches == {"rules[0] gold": 1, "rules[1] all": 3}
    assert [(v.agent, v.rank, v.reason) for v in report.agents] == [
        ("g", 1, None),
        ("s", None, "no_assignment_rule_matched"),
        ("t", None, "no_assignment_rule_matched"),
    ]


def test_sample_config_end_to_end() -> None:
    config = load_config(None)
    tenant = config.tenants[0]
    policy = Policy.from_tenant(tenant, config.version)
    queues = {q.id: q for q in tenant.queues}
    chat = next(w for w in tenant.workstreams if w.id == "chat")
    raw = item("conv-1", workstream="chat", attributes={"language": "fr"}, created_at=NOW - 30)
    result = classify(raw, chat, NOW, known_queues=queues)
    assert isinstance(result, Classified) and result.queue == "languages"
    ready = attach_requirements(raw, chat, NOW)
    assert [(s.skill, s.min_proficiency) for s in ready.skills] == [("fr", 3)]
    speaker = agent(
        "marie",
        queues=("languages",),
        presence="wrapping_up",
        total_units=100,
        attributes={"language": "fr"},
        skills={"fr": 4, "language_proficiency": 5},
    )
    d = decide_for_item(ready, queues["languages"], chat, [speaker], NOW, policy)
    assert (
        isinstance(d, Offer)
        and d.explanation.rule == "rules[0] same language, proficiency 4 or more"
    )
    assert d.explanation.config_version == 1
    vip = classify(item("v", attributes={"vip": True}), chat, NOW)
    assert isinstance(vip, Classified) and vip.queue == "vip"
