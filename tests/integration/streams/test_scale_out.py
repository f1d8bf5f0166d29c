"""Issue 6 acceptance: three workers in one consumer group, one stopped midway.

The workers share the test's settings (same app id, so one consumer group). 1,500 items
are produced in batches; once half are out, one worker gets SIGTERM. The other two take
over its partitions (offers it issued expire or are answered through them) and the run
completes with the same guarantees as a single-worker run.
"""

from __future__ import annotations

import random
import signal
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
    workstream_costs,
)

ITEMS = 1500
BATCH = 100
DECLINE_LIMIT = 3


def test_three_workers_one_stopped_midway_keep_every_guarantee(
    settings: Settings, tenant: str, routing_config: Path, collector: Collector, feed: Feed,
    start_worker: Callable[..., WorkerProcess],
) -> None:
    config = derive_config(
        routing_config, offer_timeout_s=3, decline_limit=DECLINE_LIMIT, selector_expiry_s=5
    )
    costs, modes = workstream_costs(config), offer_mode(config)
    rng = random.Random(1500)
    agents = versatile_agents(20)
    by_id = {agent.id: agent for agent in agents}
    items = make_items(ITEMS, rng, prefix="scale")
    simulator = AgentSimulator(feed, by_id, AgentPolicy(
        accept=0.9, decline=0.05, respond_delay_s=(0.0, 0.2), handle_s=(0.1, 0.6),
    ))
    simulator.start(collector)
    workers = [start_worker(f"worker{n}", env=WORKER_ENV) for n in range(3)]
    stopped_code: int | None = None
    try:
        for agent in agents:
            feed.register(agent)
        feed.flush()
        for start in range(0, ITEMS, BATCH):
            for item in items[start:start + BATCH]:
                feed.create(item)
            feed.producer.flush(30)
            if start <= ITEMS // 2 < start + BATCH:
                stopped_code = workers[1].stop(signal.SIGTERM)
            time.sleep(0.7)
        feed.flush()
        wait_all_assigned(collector, [i.id for i in items], 120, workers)
        collector.wait_quiet(quiet_s=4, timeout_s=30)
    finally:
        simulator.stop()

    measure("scale-out", collector, feed, items, modes,
            extra={"workers": 3, "stopped_worker_exit_code": stopped_code})
    assert stopped_code is not None
    assert_all_clean(
        standard_checks(collector, feed, simulator, items, costs, modes, DECLINE_LIMIT)
    )
