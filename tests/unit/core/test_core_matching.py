"""Eligibility (M1-M3) and assignment methods (M4, M5)."""

from __future__ import annotations

from core_helpers import MIN, NOW, agent, item, queue, workstream

from router.config.model import CapacityCost, WrapUp
from router.core import Offer, Policy, Skip, decide_for_item, rank_agents
from router.core.capacity import capacity_problem, consume, wrap_up_release_at
from router.core.types import SkillNeed


def ids(ranking: object) -> list[str]:
    return [a.id for a, _ in ranking.ordered]  # type: ignore[attr-defined]


def test_presence_allowed_by_workstream_with_custom_statuses() -> None:
    policy = Policy(presence_map={"lunch": "away", "wrapping_up": "busy"})
    ws = workstream(allowed_presences=["available", "busy"])
    agents = [
        agent("avail"),
        agent("wrap", presence="wrapping_up"),
        agent("lunch", presence="lunch"),
        agent("dnd", presence="busy_dnd"),
        agent("off", presence="offline"),
        agent("weird", presence="unmapped_status"),
    ]
    ranking = rank_agents(item(), queue(), ws, agents, NOW, policy)
    assert sorted(a.id for a in ranking.eligible) == ["avail", "wrap"]
    assert ranking.filtered == {
        "presence:lunch": 1,
        "presence:busy_dnd": 1,
        "presence:offline": 1,
        "presence:unmapped_status": 1,
    }
    # A workstream may allow a custom status by name.
    ws_lunch = workstream(allowed_presences=["lunch"])
    assert [a.id for a in rank_agents(item(), queue(), ws_lunch, agents, NOW, policy).eligible] == [
        "lunch"
    ]


def test_membership_from_agent_or_queue_members() -> None:
    q = queue(members=["listed"])
    agents = [agent("listed", queues=()), agent("member"), agent("stranger", queues=("other",))]
    ranking = rank_agents(item(), q, workstream(), agents, NOW)
    assert sorted(a.id for a in ranking.eligible) == ["listed", "member"]
    assert ranking.filtered == {"not_member": 1}


def test_unit_and_profile_capacity_all_profiles_need_room() -> None:
    policy = Policy(profile_defaults={"chat": 3, "vip": 1})
    cost = CapacityCost(units=30, profiles=("chat", "vip"))
    roomy = agent("a", total_units=100, used_units=70)
    assert capacity_problem(roomy, cost, policy) is None
    assert (
        capacity_problem(agent("b", total_units=100, used_units=71), cost, policy)
        == "unit_capacity"
    )
    full_chat = agent("c", total_units=100, profile_used={"chat": 3})
    assert capacity_problem(full_chat, cost, policy) == "profile_capacity:chat"
    full_vip = agent("d", total_units=100, profile_used={"vip": 1})
    assert capacity_problem(full_vip, cost, policy) == "profile_capacity:vip"
    own_limit = agent("e", total_units=100, profile_limits={"vip": 2}, profile_used={"vip": 1})
    assert capacity_problem(own_limit, cost, policy) is None
    taken = consume(roomy, cost, "q", NOW)
    assert (taken.used_units, taken.profile_used, taken.last_assigned_at) == (
        100,
        {"chat": 1, "vip": 1},
        {"q": NOW},
    )
    assert roomy.used_units == 70  # not mutated


def test_wrap_up_release_times() -> None:
    assert wrap_up_release_at(WrapUp(mode="none"), NOW) == NOW
    assert wrap_up_release_at(WrapUp(mode="seconds", seconds=120), NOW) == NOW + 120
    assert wrap_up_release_at(WrapUp(mode="until_closed"), NOW) is None


NEED = (SkillNeed(skill="billing", min_proficiency=3), SkillNeed(skill="fr", min_proficiency=2))


def test_exact_skill_match_filters() -> None:
    agents = [
        agent("exact", skills={"billing": 3, "fr": 2}),
        agent("over", skills={"billing": 5, "fr": 4}),
        agent("under", skills={"billing": 2, "fr": 2}),
        agent("missing", skills={"billing": 5}),
    ]
    ranking = rank_agents(item(skills=NEED), queue("round_robin"), workstream(), agents, NOW)
    assert sorted(a.id for a in ranking.eligible) == ["exact", "over"]
    assert ranking.filtered == {"skills:billing>=3": 1, "skills:fr>=2": 1}


def test_closest_match_orders_exact_then_over_then_under() -> None:
    agents = [
        agent("missing", skills={"billing": 5}, total_units=50),
        agent("under", skills={"billing": 2, "fr": 2}, total_units=40),
        agent("far_over", skills={"billing": 5, "fr": 5}, total_units=30),
        agent("over", skills={"billing": 4, "fr": 2}, total_units=20),
        agent("exact", skills={"billing": 3, "fr": 2}, total_units=10),
    ]
    ws = workstream(skill_matching="closest")
    ranking = rank_agents(item(skills=NEED), queue("highest_capacity"), ws, agents, NOW)
    assert ids(ranking) == ["exact", "over", "far_over", "under", "missing"]


def test_highest_capacity_ties_by_round_robin() -> None:
    agents = [
        agent("busy", total_units=10, used_units=8),
        agent("late", total_units=10, used_units=2, last_assigned_at={"q": NOW - 60}),
        agent("early", total_units=10, used_units=2, last_assigned_at={"q": NOW - 600}),
        agent("big", total_units=20, used_units=2),
    ]
    assert ids(rank_agents(item(), queue("highest_capacity"), workstream(), agents, NOW)) == [
        "big",
        "early",
        "late",
        "busy",
    ]


def test_round_robin_first_by_time_of_joining_the_queue() -> None:
    agents = [
        agent("joined_late", joined_at={"q": NOW - 10}),
        agent("joined_early", joined_at={"q": NOW - 1000}),
        agent("assigned", joined_at={"q": NOW - 5000}, last_assigned_at={"q": NOW - 5}),
        agent("assigned_elsewhere", joined_at={"q": NOW - 500}, last_assigned_at={"other": NOW}),
    ]
    assert ids(rank_agents(item(), queue("round_robin"), workstream(), agents, NOW)) == [
        "joined_early",
        "assigned_elsewhere",
        "joined_late",
        "assigned",
    ]


def test_least_active_longest_since_capacity_release() -> None:
    agents = [
        agent("just_done", last_capacity_release_at=NOW - 5),
        agent("done_5_min_ago", last_capacity_release_at=NOW - 5 * MIN),
        agent("never_worked"),
    ]
    assert ids(rank_agents(item(), queue("least_active"), workstream(), agents, NOW)) == [
        "never_worked",
        "done_5_min_ago",
        "just_done",
    ]


LANG_RULES = [
    {
        "name": "same language, proficiency 4+",
        "when": {
            "all": [
                {
                    "field": "attributes.language",
                    "op": "eq",
                    "value": {"item": "attributes.language"},
                },
                {"field": "skills.language", "op": "ge", "value": 4},
            ]
        },
        "order_by": [{"by": "unit_capacity"}],
    },
    {
        "name": "same language",
        "when": {
            "field": "attributes.language",
            "op": "eq",
            "value": {"item": "attributes.language"},
        },
        "order_by": [{"by": "round_robin"}],
    },
    {
        "name": "anyone",
        "order_by": [{"by": "attribute", "field": "attributes.seniority", "direction": "desc"}],
    },
]


def test_assignment_ruleset_relaxes_step_by_step() -> None:
    q = queue("custom", rules=LANG_RULES)
    ws = workstream()
    fr = item(attributes={"language": "fr"})
    expert = agent("expert", attributes={"language": "fr"}, skills={"language": 5}, total_units=5)
    expert2 = agent("expert2", attributes={"language": "fr"}, skills={"language": 4}, total_units=8)
    speaker = agent("speaker", attributes={"language": "fr"}, skills={"language": 2})
    junior = agent("junior", attributes={"language": "en", "seniority": 1})
    senior = agent("senior", attributes={"language": "de", "seniority": 7})
    everyone = [expert, expert2, speaker, junior, senior]

    d1 = decide_for_item(fr, q, ws, everyone, NOW)
    assert isinstance(d1, Offer) and d1.agent.id == "expert2"  # more unit capacity
    assert d1.explanation.rule == "rules[0] same language, proficiency 4+"
    assert d1.explanation.runner_up == "expert"
    d2 = decide_for_item(fr, q, ws, [speaker, junior, senior], NOW)
    assert isinstance(d2, Offer) and d2.agent.id == "speaker"
    assert d2.explanation.rule == "rules[1] same language"
    d3 = decide_for_item(fr, q, ws, [junior, senior], NOW)
    assert isinstance(d3, Offer) and d3.agent.id == "senior"
    assert d3.explanation.rule == "rules[2] anyone"


def test_no_assignment_rule_matches_item_stays_queued() -> None:
    q = queue("custom", rules=LANG_RULES[:2])
    d = decide_for_item(
        item(attributes={"language": "fr"}),
        q,
        workstream(),
        [agent("en", attributes={"language": "en"})],
        NOW,
    )
    assert isinstance(d, Skip) and d.reason == "no_assignment_rule_matched"


def test_custom_rule_conditions_on_presence_capacity_and_requirements() -> None:
    rules = [
        {
            "name": "available, roomy, qualified",
            "when": {
                "all": [
                    {"field": "presence", "op": "eq", "value": "available"},
                    {"field": "profile_available.chat", "op": "ge", "value": 2},
                    {"field": "requirements_met", "op": "eq", "value": True},
                    {"field": "has_capacity", "op": "eq", "value": True},
                    {"field": "is_working", "op": "eq", "value": True},
                ]
            },
            "order_by": [{"by": "proficiency"}, {"by": "skill_count"}],
        }
    ]
    q = queue("custom", rules=rules)
    ws = workstream(capacity={"units": 1, "profiles": ["chat"]}, skill_matching="closest")
    policy = Policy(profile_defaults={"chat": 3})
    need = (SkillNeed(skill="tv", min_proficiency=2),)
    agents = [
        agent("generalist", skills={"tv": 4, "radio": 4, "hifi": 4}, is_working=True),
        agent("specialist", skills={"tv": 4}, is_working=True),
        agent("weak", skills={"tv": 1}, is_working=True),
        agent("busy", presence="busy", skills={"tv": 5}, is_working=True),
        agent("off_shift", skills={"tv": 5}, is_working=False),
        agent("full", skills={"tv": 5}, profile_used={"chat": 2}, is_working=True),
    ]
    ws_busy_ok = workstream(
        capacity={"units": 1, "profiles": ["chat"]},
        skill_matching="closest",
        allowed_presences=["available", "busy"],
    )
    ranking = rank_agents(item(skills=need), q, ws_busy_ok, agents, NOW, policy)
    assert ids(ranking) == ["specialist", "generalist"]
    d = decide_for_item(item(skills=need), q, ws, agents, NOW, policy)
    assert isinstance(d, Offer) and d.agent.id == "specialist"


def test_highest_capacity_uses_profile_room_when_items_cost_no_units() -> None:
    ws = workstream(capacity={"units": 0, "profiles": ["chat"]})
    policy = Policy(profile_defaults={"chat": 3})
    agents = [
        agent("one_free", profile_used={"chat": 2}, total_units=50),
        agent("two_free", profile_used={"chat": 1}, total_units=1),
        agent("full", profile_used={"chat": 3}),
    ]
    ranking = rank_agents(item(), queue("highest_capacity"), ws, agents, NOW, policy)
    assert ids(ranking) == ["two_free", "one_free"]
    assert ranking.filtered == {"profile_capacity:chat": 1}
