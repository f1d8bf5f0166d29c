"""Issue 6 acceptance: a worker killed with SIGKILL at random moments loses nothing.

5,000 items are produced in batches while the only worker is killed (SIGKILL) and
restarted at least five times. Agents accept every offer and complete and close quickly.
Afterwards every item is assigned exactly once (re-emitted outputs only with the same id
and content), every offer has an outcome, and the other run guarantees hold.

Time budget: a few minutes, and only if a restarted worker is ready within ~10 s of a
SIGKILL. With Faust's default consumer session timeout the group coordinator waits about
60 s for the dead member at every restart (seen on the first runs), which alone makes
five kills take over 5 minutes: the worker needs a short session timeout (or static
membership) for this test to fit.
"""

from __future__ import annotations

import random
import signal
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
    Collector,
    Feed,
    assert_all_clean,
    derive_config,
    make_items,
    measure,
    offer_mode,
    standard_checks,
    versatile_agents,
    wait_all_assigned,
    worker_hint,
    workstream_costs,
)

ITEMS = 5000
BATCH = 200
KILLS = 5
DECLINE_LIMIT = 3


def test_sigkilled_worker_loses_and_duplicates_no_decision(
    settings: Settings, tenant: str, routing_config: Path, collector: Collector, feed: Feed,
    start_worker: Callable[..., WorkerProcess],
) -> None:
    config = derive_config(
        routing_config, offer_timeout_s=5, decline_limit=DECLINE_LIMIT, selector_expiry_s=5
    )
    costs, modes = workstream_costs(config), offer_mode(config)
    rng = random.Random(5000)
    agents = versatile_agents(30)
    by_id = {agent.id: agent for agent in agents}
    items = make_items(ITEMS, rng, prefix="crash")
    simulator = AgentSimulator(feed, by_id, AgentPolicy(
        accept=1.0, decline=0.0, respond_delay_s=(0.0, 0.05), handle_s=(0.05, 0.3),
    ))
    simulator.start(collector)
    workers = [start_worker("worker", env=WORKER_ENV)]
    produced = threading.Event()
    try:
        for agent in agents:
            feed.register(agent)
        feed.flush()

        def produce() -> None:
            for start in range(0, ITEMS, BATCH):
                for item in items[start:start + BATCH]:
                    feed.create(item)
                feed.producer.flush(30)
                time.sleep(1.0)
            produced.set()

        producer_thread = threading.Thread(target=produce, daemon=True)
        producer_thread.start()
        kills = 0
        while kills < KILLS or not produced.is_set():
            time.sleep(rng.uniform(0.5, 4.0))
            if kills >= KILLS and produced.is_set():
                break
            code = workers[-1].stop(signal.SIGKILL)
            assert code == -signal.SIGKILL, f"worker ended with {code} before the kill:\n" + (
                worker_hint(workers[-1:]))
            kills += 1
            workers.append(start_worker("worker", env=WORKER_ENV))
        producer_thread.join(60)
        feed.flush()
        wait_all_assigned(collector, [i.id for i in items], 300, workers)
        collector.wait_quiet(quiet_s=5, timeout_s=30)
    finally:
        simulator.stop()

    measure("crash", collector, feed, items, modes, extra={"sigkills": kills})
    assert_all_clean(
        standard_checks(collector, feed, simulator, items, costs, modes, DECLINE_LIMIT)
    )
