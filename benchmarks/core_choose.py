"""Micro-benchmark: choose the best of 1,000 eligible agents for one item.

Runs ``decide_for_item`` under each assignment method with 1,000 agents that all
pass eligibility (so every agent is filtered and ranked), and prints the median
and p95 time per decision. Target: <= 1 ms per decision.

    .venv/bin/python benchmarks/core_choose.py [--agents 1000] [--repeat 200]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

import msgspec

from router.config.model import Queue, Workstream
from router.core import Offer, Policy, decide_for_item
from router.core.types import AgentState, Selector, SkillNeed, WorkItem

NOW = 1_700_000_000.0
METHODS = [
    "highest_capacity",
    "round_robin",
    "least_active",
    "longest_idle",
    "best_worker",
    "custom",
]
RULES = [
    {
        "name": "same language, senior",
        "when": {
            "all": [
                {
                    "field": "attributes.language",
                    "op": "eq",
                    "value": {"item": "attributes.language"},
                },
                {"field": "attributes.seniority", "op": "ge", "value": 9},
            ]
        },
        "order_by": [{"by": "unit_capacity"}],
    },
    {"name": "anyone", "order_by": [{"by": "round_robin"}]},
]


def make_agents(n: int, rnd: random.Random) -> list[AgentState]:
    return [
        AgentState(
            id=f"agent-{i:05}",
            presence="available",
            total_units=100,
            used_units=rnd.randrange(0, 70),
            profile_limits={"chat": 5},
            profile_used={"chat": rnd.randrange(0, 4)},
            skills={"billing": rnd.randrange(3, 6), "fr": rnd.randrange(2, 6)},
            attributes={
                "language": rnd.choice(["en", "fr"]),
                "seniority": rnd.randrange(0, 9),
                "sales": rnd.randrange(5, 30),
            },
            queues=("q",),
            last_assigned_at={"q": NOW - rnd.randrange(1, 10_000)},
            joined_at={"q": NOW - 50_000},
            last_capacity_release_at=NOW - rnd.randrange(1, 10_000),
            available_since=NOW - rnd.randrange(1, 10_000),
        )
        for i in range(n)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    rnd = random.Random(7)
    agents = make_agents(args.agents, rnd)
    ws = msgspec.convert(
        {"id": "ws", "channel": "messaging", "capacity": {"units": 30, "profiles": ["chat"]}},
        Workstream,
    )
    item = WorkItem(
        id="item-1",
        workstream="ws",
        attributes={"language": "fr", "product": "tv"},
        created_at=NOW - 30,
        skills=(
            SkillNeed(skill="billing", min_proficiency=3),
            SkillNeed(skill="fr", min_proficiency=2),
        ),
        selectors=(
            Selector(key="sales", op="ge", value=10, required=False),
            Selector(key="language", op="eq", value="fr", required=False),
        ),
    )
    policy = Policy(profile_defaults={"chat": 5})
    print(f"choose the best of {args.agents} eligible agents for one item ({args.repeat} runs)")
    print(f"{'method':<18} {'median ms':>10} {'p95 ms':>10} {'per agent us':>13}  winner")
    for method in METHODS:
        assignment: dict[str, object] = {"method": method}
        if method == "custom":
            assignment["rules"] = RULES
        queue = msgspec.convert({"id": "q", "assignment": assignment}, Queue)
        decision = decide_for_item(item, queue, ws, agents, NOW, policy)
        assert isinstance(decision, Offer) and decision.explanation.eligible == args.agents
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            decide_for_item(item, queue, ws, agents, NOW, policy)
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        median = statistics.median(times)
        p95 = times[int(len(times) * 0.95) - 1]
        per_agent = median * 1000 / args.agents
        print(f"{method:<18} {median:>10.3f} {p95:>10.3f} {per_agent:>13.2f}  {decision.agent.id}")


if __name__ == "__main__":
    main()
