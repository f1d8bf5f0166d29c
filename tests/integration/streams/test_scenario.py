"""Issue 6 acceptance: a realistic mixed run through one worker.

500 items over the sample's chat, voice and cases (records, direct assignment)
workstreams; 20 agents with mixed skills, queues and capacities, four of them away or in
training at first and available a few seconds in. Simulated desktops accept 80% of the
offers, decline 10% and ignore 10% (they expire after 2 s); accepted and direct
assignments are completed and closed after a short handle time, freeing capacity.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from pathlib import Path

from router.settings import Settings
from tests.integration.conftest import WorkerProcess
from tests.integration.streams.harness import (
    WORKER_ENV,
    AgentPolicy,
    AgentSimulator,
    AgentSpec,
    Collector,
    Feed,
    assert_all_clean,
    derive_config,
    make_items,
    measure,
    offer_mode,
    standard_checks,
    wait_all_assigned,
    workstream_costs,
)

ITEMS = 500
DECLINE_LIMIT = 2
LATE_STARTERS = {3: "away", 7: "lunch", 11: "in_training", 15: "away"}
"""Agent index -> presence at registration (lunch -> away, in_training -> busy_dnd)."""


def scenario_agents(rng: random.Random) -> list[AgentSpec]:
    """20 agents. Every queue of the sample has several members able to take its items:
    English for all; French for odd indexes, German for multiples of 3; billing for
    indexes 0, 1 mod 4; VIP members know billing and cover fr and de; voice members
    have at least 100 units (a call costs 100)."""
    agents: list[AgentSpec] = []
    vip = {0, 1, 5, 9, 12}
    for n in range(20):
        skills = {"en": rng.randint(3, 5)}
        if n % 2 == 1:
            skills["fr"] = rng.randint(3, 5)
        if n % 3 == 0:
            skills["de"] = rng.randint(3, 5)
        if n % 4 in (0, 1):
            skills["billing"] = rng.randint(2, 5)
        units = (100, 130, 60, 200)[n % 4]
        queues = ["general", "backoffice"]
        if "fr" in skills or "de" in skills:
            queues.append("languages")
        if "billing" in skills:
            queues += ["billing_a", "billing_b"]
        if units >= 100:
            queues.append("voice_general")
        if n in vip:
            queues.append("vip")
        if n % 5 in (0, 1):
            queues.append("escalations")
        agents.append(AgentSpec(
            id=f"agent-{n:02d}",
            units=units,
            profiles={"chat": 1 + n % 3, "call": 1, "case": 2 + n % 4},
            skills=skills,
            attributes={"certified": n % 3 != 2, "site": ("lyon", "porto")[n % 2]},
            queues=queues,
            presence=LATE_STARTERS.get(n, "available"),
        ))
    return agents


def test_mixed_run_assigns_every_item_once_within_capacity_and_decline_limits(
    settings: Settings, tenant: str, routing_config: Path, collector: Collector, feed: Feed,
    start_worker: Callable[..., WorkerProcess],
) -> None:
    config = derive_config(
        routing_config, offer_timeout_s=2, decline_limit=DECLINE_LIMIT, selector_expiry_s=5
    )
    costs, modes = workstream_costs(config), offer_mode(config)
    rng = random.Random(20261122)
    agents = scenario_agents(rng)
    by_id = {agent.id: agent for agent in agents}
    items = make_items(ITEMS, rng)
    simulator = AgentSimulator(feed, by_id, AgentPolicy(accept=0.8, decline=0.1))
    simulator.start(collector)
    workers = [start_worker("worker", env=WORKER_ENV)]
    try:
        for agent in agents:
            feed.register(agent)
        feed.flush()

        def later_presence() -> None:
            time.sleep(4)
            for n in LATE_STARTERS:
                feed.presence(f"agent-{n:02d}", "available")

        presence_thread = threading.Thread(target=later_presence, daemon=True)
        presence_thread.start()
        for start in range(0, ITEMS, 50):  # about 100 items/s
            for item in items[start:start + 50]:
                feed.create(item)
            feed.producer.poll(0)
            time.sleep(0.5)
        feed.flush()
        presence_thread.join()

        wait_all_assigned(collector, [i.id for i in items], 90, workers)
        collector.wait_quiet(quiet_s=3, timeout_s=20)
    finally:
        simulator.stop()

    decisions = list(simulator.decisions.values())
    measure("scenario", collector, feed, items, modes, extra={
        "offers_accepted_by_agents": decisions.count("accept"),
        "offers_declined_by_agents": decisions.count("decline"),
        "offers_ignored_by_agents": decisions.count("ignore"),
    })
    checks = standard_checks(collector, feed, simulator, items, costs, modes, DECLINE_LIMIT)
    causes = {r.data.cause for r in collector.snapshot() if r.type == "decline.recorded"}
    if causes != {"declined", "expired"}:
        checks["run exercises declines and expiries"] = [
            f"decline.recorded causes seen: {sorted(causes)}, expected declined and expired"
        ]
    assert_all_clean(checks)
