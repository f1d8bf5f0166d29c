"""Time-driven work goes through the worker's own sweeper on the virtual clock: a timed
wrap-up keeps the agent's capacity until the sweeper's wrap-up timer releases it."""

from __future__ import annotations

import asyncio
import itertools

from router.simulate.engine import simulate
from router.simulate.scenario import parse_scenario, resolve


def test_timed_wrap_up_holds_capacity_until_the_sweeper_releases_it() -> None:
    # Sample config: chat wraps up for 120 s after completion; one agent, one chat at a time.
    scenario = parse_scenario({
        "duration": "3h", "seed": 2,
        "timers": {"sweep_interval": "1s", "queue_sweep": "5s"},
        "arrivals": [{"workstream": "chat", "per_hour": 20, "attributes": {"language": "en"},
                      "handle_time": {"distribution": "fixed", "value": "3m"}}],
        "agents": [{"name": "c", "count": 1, "queues": ["general"],
                    "capacity": {"units": 30, "profiles": {"chat": 1}}}],
    })
    result = asyncio.run(simulate(resolve(scenario, None)))
    starts = sorted(t.assigned for t in result.tally.items.values() if t.assigned is not None)
    assert len(starts) > 10
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    # handle 180 s + wrap-up 120 s; the release lands on the next 1 s sweep at the latest
    assert min(gaps) >= 300.0 - 1e-3
    assert any(gap < 302.0 for gap in gaps)  # items that queued behind a wrap-up
