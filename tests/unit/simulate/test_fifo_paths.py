"""Path by path, not only on average: with c identical agents and one FIFO queue, the
router must start each item exactly when the FIFO c-server recursion says (the item
starts at its arrival or when the earliest agent frees up, whichever is later). This
is the brief's c=5 / 0.85 case; a mean can hide compensating errors, a path cannot."""

from __future__ import annotations

import asyncio
import heapq

import pytest

from router.simulate.engine import simulate
from tests.unit.simulate.erlang import textbook


@pytest.mark.parametrize(("agents", "utilisation"), [(5, 0.85), (3, 0.7)])
def test_router_waits_equal_the_fifo_recursion(agents: int, utilisation: float) -> None:
    result = asyncio.run(simulate(textbook(agents, utilisation, 4_000, 0, seed=7)))
    items = sorted(result.tally.items.values(), key=lambda t: t.arrived)
    free = [0.0] * agents
    compared = waited = 0
    for track in items:
        start = max(track.arrived, heapq.heappop(free))
        heapq.heappush(free, start + track.handle)
        if track.wait is None:  # still waiting when the run ended
            assert start >= result.tally.window[1] - 1e-6
            continue
        assert track.wait == pytest.approx(start - track.arrived, abs=1e-3), track
        compared += 1
        waited += track.wait > 0
    assert compared > 3_500
    assert waited > 0.2 * compared  # the queue was really exercised
