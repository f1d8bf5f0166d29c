"""Worked examples of the Dynamics 365 unified-routing reference, same numbers."""

from __future__ import annotations

from datetime import UTC, datetime

from core_helpers import MIN, NOW, agent, item, queue, workstream

from router.core import (
    Offer,
    Policy,
    QueueBacklog,
    Skip,
    decide_for_agent,
    decide_for_item,
    decide_for_queue,
    order_items,
    priority_key,
    record_decline,
)
from router.core.capacity import consume
from router.core.types import SkillNeed


def _at(hour: int, minute: int) -> float:
    return datetime(2024, 5, 6, hour, minute, tzinfo=UTC).timestamp()


def _coffee_agents() -> list:  # type: ignore[type-arg]
    # Each can take three chats and has one: available profile capacity 2 each.
    return [
        agent(
            name,
            profile_limits={"chat": 3},
            profile_used={"chat": 1},
            skills={"coffee_refund": 5},
            last_assigned_at={"q": _at(10, m)},
        )
        for name, m in (("Lesa", 30), ("Alicia", 35), ("Alan", 37))
    ]


def _coffee_queue(method: str) -> object:
    if method == "custom":
        return queue(
            "custom",
            rules=[{"name": "coffee", "order_by": [{"by": "profile_capacity"}]}],
        )
    return queue(method)


def test_round_robin_tie_break_on_earliest_last_assignment() -> None:
    ws = workstream(capacity={"units": 0, "profiles": ["chat"]})
    need = (SkillNeed(skill="coffee_refund", min_proficiency=1),)
    for method in ("custom", "round_robin", "highest_capacity"):
        q = _coffee_queue(method)
        agents = _coffee_agents()
        first = decide_for_item(item("c1", skills=need), q, ws, agents, _at(10, 40))  # type: ignore[arg-type]
        assert isinstance(first, Offer), method
        assert first.agent.id == "Lesa", method
        assert first.explanation.runner_up == "Alicia", method
        # Lesa took it (10:40); at 10:45 the next coffee refund goes to Alicia.
        agents = [
            consume(a, ws.capacity, "q", _at(10, 40)) if a.id == "Lesa" else a for a in agents
        ]
        second = decide_for_item(item("c2", skills=need), q, ws, agents, _at(10, 45))  # type: ignore[arg-type]
        assert isinstance(second, Offer), method
        assert second.agent.id == "Alicia", method


def test_round_robin_within_one_cycle() -> None:
    ws = workstream(capacity={"units": 0, "profiles": ["chat"]})
    items = [item("c1", created_at=_at(10, 39)), item("c2", created_at=_at(10, 40))]
    decisions = decide_for_queue(
        queue("round_robin"), {"ws": ws}, items, _coffee_agents(), _at(10, 45)
    )
    assert [(d.item.id, d.agent.id) for d in decisions if isinstance(d, Offer)] == [
        ("c1", "Lesa"),
        ("c2", "Alicia"),
    ]


FOUR_RULES = [
    {
        "name": "High priority and premium",
        "when": {
            "all": [
                {"field": "attributes.case_priority", "op": "eq", "value": "high"},
                {"field": "attributes.category", "op": "eq", "value": "premium"},
            ]
        },
    },
    {
        "name": "Premium",
        "when": {"field": "attributes.category", "op": "eq", "value": "premium"},
    },
    {
        "name": "High priority",
        "when": {"field": "attributes.case_priority", "op": "eq", "value": "high"},
        "order_by": [{"field": "attributes.first_response_by", "direction": "asc"}],
    },
    {
        "name": "Standard, highest score first",
        "when": {"field": "attributes.category", "op": "eq", "value": "standard"},
        "order_by": [{"field": "priority", "direction": "desc"}],
    },
]


def test_four_rule_prioritization_ruleset() -> None:
    q = queue("highest_capacity", prioritization=FOUR_RULES)

    def case(iid: str, age_min: float, **attrs: object) -> object:
        prio = attrs.pop("score", None)
        return item(iid, created_at=NOW - age_min * MIN, attributes=attrs, priority=prio)

    items = [
        case("low_old", 500, case_priority="low", category="other"),
        case("hp_premium_new", 1, case_priority="high", category="premium"),
        case("hp_premium_old", 9, case_priority="high", category="premium"),
        case("premium_old", 30, case_priority="normal", category="premium"),
        case("premium_new", 2, case_priority="low", category="premium"),
        case("hp_late", 60, case_priority="high", first_response_by="2024-05-06T12:00:00Z"),
        case("hp_soon", 5, case_priority="high", first_response_by="2024-05-06T10:00:00Z"),
        case("std_3", 40, category="standard", score=3),
        case("std_8", 20, category="standard", score=8),
        case("none_new", 3, category="other"),
    ]
    ordered = [it.id for it in order_items(items, q, NOW)]  # type: ignore[arg-type]
    assert ordered == [
        "hp_premium_old",
        "hp_premium_new",
        "premium_old",
        "premium_new",
        "hp_soon",
        "hp_late",
        "std_8",
        "std_3",
        "low_old",
        "none_new",
    ]
    buckets = [priority_key(it, q, NOW)[0] for it in items]  # type: ignore[arg-type]
    assert buckets == [4, 0, 0, 1, 1, 2, 2, 3, 3, 4]


def test_bucket_recomputed_when_attributes_change() -> None:
    q = queue("highest_capacity", prioritization=FOUR_RULES)
    before = item("x", attributes={"category": "other"})
    after = item("x", attributes={"category": "premium"})
    assert priority_key(before, q, NOW)[0] == 4
    assert priority_key(after, q, NOW)[0] == 1


def test_cross_queue_order_fifo_queues_then_custom_alphabetically() -> None:
    ws = workstream()
    wss = {"ws": ws}
    custom_rules = [{"when": {"field": "priority", "op": "ge", "value": 0}}]

    def backlog(qid: str, name: str, custom: bool, *items: object) -> QueueBacklog:
        kw = {"name": name, "group": 1}
        if custom:
            kw["prioritization"] = custom_rules
        return QueueBacklog(queue=queue("round_robin", qid, **kw), workstreams=wss, items=items)  # type: ignore[arg-type]

    rep = agent("rep", queues=("vip", "premium", "orders", "invoices"))
    vip = item("vip1", created_at=NOW - 20 * MIN, priority=1)
    premium = item("prem1", created_at=NOW - 30 * MIN, priority=1)
    orders = item("ord1", created_at=NOW - 90 * MIN, priority=1)
    invoice = item("inv1", created_at=NOW - 40 * MIN, priority=1)
    backlogs = [
        backlog("orders", "Order Support", True, orders),
        backlog("vip", "VIP Support", False, vip),
        backlog("invoices", "Invoice Inquiries", True, invoice),
        backlog("premium", "Premium Support", False, premium),
    ]
    served = []
    while True:
        decision = decide_for_agent(rep, backlogs, NOW)
        if isinstance(decision, Skip):
            break
        served.append(decision.item.id)
        backlogs = [
            QueueBacklog(
                queue=b.queue,
                workstreams=b.workstreams,
                items=tuple(i for i in b.items if i.id != decision.item.id),
            )
            for b in backlogs
        ]
    # Oldest of the FIFO queues (VIP and Premium) first, then Invoice Inquiries,
    # then Order Support, although Order Support holds the oldest item.
    assert served == ["prem1", "vip1", "inv1", "ord1"]


def test_cross_queue_lower_group_first_and_skips_ineligible_items() -> None:
    wss = {"ws": workstream()}
    rep = agent("rep", queues=("g2", "g1"), skills={})
    needs_skill = item("hard", created_at=NOW - 99 * MIN, skills=(SkillNeed(skill="legal"),))
    backlogs = [
        QueueBacklog(
            queue=queue("round_robin", "g2", group=2),
            workstreams=wss,
            items=(item("old", created_at=NOW - 50 * MIN),),
        ),
        QueueBacklog(
            queue=queue("round_robin", "g1", group=1),
            workstreams=wss,
            items=(needs_skill, item("new")),
        ),
    ]
    decision = decide_for_agent(rep, backlogs, NOW)
    assert isinstance(decision, Offer)
    assert decision.item.id == "new"
    assert decision.explanation.filtered == {"skills:legal>=1": 1}


def test_decline_limit_two_rejections_and_a_timeout() -> None:
    policy = Policy(decline_limit=3)
    ws = workstream()
    q = queue("highest_capacity")
    serena = agent("serena", total_units=10)
    other = agent("other", total_units=4)
    chat = item("ana_chat")
    # Serena has the most free capacity, so she is offered first.
    offer = decide_for_item(chat, q, ws, [serena, other], NOW, policy)
    assert isinstance(offer, Offer) and offer.agent.id == "serena"
    # She rejects twice and lets the third notification time out.
    outcome = record_decline(chat, "serena", policy)
    assert not outcome.agent_excluded
    outcome = record_decline(outcome.item, "serena", policy)
    assert not outcome.agent_excluded
    outcome = record_decline(outcome.item, "serena", policy)  # the timeout
    assert outcome.agent_excluded and outcome.declines == 3
    chat = outcome.item
    again = decide_for_item(chat, q, ws, [serena, other], NOW, policy)
    assert isinstance(again, Offer) and again.agent.id == "other"
    assert again.explanation.filtered == {"declined_limit": 1}
    # Alone, she is not offered that chat again: it stays queued.
    alone = decide_for_item(chat, q, ws, [serena], NOW, policy)
    assert isinstance(alone, Skip) and alone.reason == "no_eligible_agent"
    # She is still offered other chats.
    fresh = decide_for_item(item("other_chat"), q, ws, [serena, other], NOW, policy)
    assert isinstance(fresh, Offer) and fresh.agent.id == "serena"


def test_a_declining_agent_ranks_lower_but_stays_eligible() -> None:
    policy = Policy(decline_limit=3)
    ws, q = workstream(), queue("highest_capacity")
    chat = record_decline(item("c"), "serena", policy).item
    serena, other = agent("serena", total_units=10), agent("other", total_units=4)
    offer = decide_for_item(chat, q, ws, [serena, other], NOW, policy)
    assert isinstance(offer, Offer) and offer.agent.id == "other"
    # If she is the only one qualified, she is reconsidered.
    offer = decide_for_item(chat, q, ws, [serena], NOW, policy)
    assert isinstance(offer, Offer) and offer.agent.id == "serena"


def test_hundred_distinct_declines_leave_auto_assignment() -> None:
    policy = Policy(decline_limit=1)
    chat = item("c")
    for n in range(100):
        outcome = record_decline(chat, f"a{n}", policy)
        chat = outcome.item
    assert outcome.item_excluded
    decision = decide_for_item(chat, queue(), workstream(), [agent("fresh")], NOW, policy)
    assert isinstance(decision, Skip) and decision.reason == "manual_pick_only"


def test_async_messaging_age_counts_from_last_interaction() -> None:
    q = queue()
    monday_returning = item(
        "returning",
        channel="messaging",
        created_at=NOW - 4 * 24 * 3600,
        last_interaction_at=NOW - 60,
    )
    thursday_morning = item("waiting", channel="messaging", created_at=NOW - 6 * 3600)
    voice_old = item(
        "call", channel="voice", created_at=NOW - 4 * 24 * 3600, last_interaction_at=NOW - 60
    )
    ordered = [it.id for it in order_items([monday_returning, thursday_morning, voice_old], q, NOW)]
    assert ordered == ["call", "waiting", "returning"]
