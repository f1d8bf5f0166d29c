"""Report figures: computed by hand on a known tally, and checked end to end on small
runs of the bundled sample config where the outcome of each offer is forced."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import pytest

from router.simulate.engine import Result, simulate
from router.simulate.report import build_report, percentile, render_text
from router.simulate.scenario import Loaded, parse_scenario, resolve
from router.simulate.tally import AgentTrack, ItemTrack, Tally


def voice(**changes: Any) -> Loaded:
    """A voice scenario on the bundled sample config; `agent` and `arrivals` patch the
    single agent group and arrival stream."""
    arrivals = {"workstream": "voice", "per_hour": 20,
                "handle_time": {"distribution": "fixed", "value": "2m"}}
    agent = {"name": "v", "count": 1, "queues": ["voice_general"],
             "capacity": {"units": 100, "profiles": {"call": 1}}}
    arrivals.update(changes.pop("arrivals", {}))
    agent.update(changes.pop("agent", {}))
    data = {"name": "t", "duration": "2h", "seed": 3, "arrivals": [arrivals],
            "agents": [agent], **changes}
    return resolve(parse_scenario(data), None)


def run(loaded: Loaded) -> Result:
    return asyncio.run(simulate(loaded))


@pytest.mark.parametrize("q", [0.0, 0.1, 0.5, 0.9, 0.99, 1.0])
def test_percentile_interpolates_like_numpy(q: float) -> None:
    data = sorted([3.0, 1.0, 4.0, 1.5, 9.0, 2.6, 5.3, 5.8])
    assert percentile(data, q) == pytest.approx(float(np.percentile(data, 100 * q)))


def test_figures_from_a_known_tally() -> None:
    loaded = voice(warm_up="10m", service_level={"queues": {"voice_general": "20s"}})
    tally = Tally(window=(600.0, 7200.0))
    q = "voice_general"
    waits = [0.0, 5.0, 10.0, 30.0]
    for n, wait in enumerate(waits):
        tally.items[f"a{n}"] = ItemTrack(arrived=1000.0 + n, stream=0, counted=True, queue=q,
                                         assigned=1000.0 + n + wait)
    tally.items["early"] = ItemTrack(arrived=10.0, stream=0, counted=False, queue=q,
                                     assigned=500.0)
    tally.items["gone"] = ItemTrack(arrived=2000.0, stream=0, counted=True, queue=q,
                                    abandoned=2100.0)
    tally.items["late"] = ItemTrack(arrived=7000.0, stream=0, counted=True, queue=q)
    tally.items["fresh"] = ItemTrack(arrived=7190.0, stream=0, counted=True, queue=q)
    tally.agents["v-001"] = AgentTrack(id="v-001", group="v", staffed_s=6600.0,
                                       occupied_s=3300.0, handled=4)
    report = build_report(Result(loaded=loaded, tally=tally, config_version="x", wall_s=0.1))
    figures = report.queues[q]
    assert (figures.arrived, figures.answered, figures.abandoned, figures.waiting_at_end) == (
        7, 4, 1, 2)
    assert figures.wait is not None
    assert figures.wait.mean == pytest.approx(11.25)
    assert figures.wait.p50 == pytest.approx(7.5)
    assert figures.wait.max == 30.0
    assert figures.waited_share == pytest.approx(0.75)
    # within 20 s: 3 of (4 answered + 1 abandoned + 1 waiting past 20 s); "fresh" unknown
    assert figures.service_level.share == pytest.approx(3 / 6)
    assert figures.service_level.threshold_s == 20.0
    assert not figures.service_level.default_threshold
    assert report.agents[0].occupancy == pytest.approx(0.5)
    assert report.groups["v"].occupancy == pytest.approx(0.5)
    assert report.groups["v"].handled == 4


def test_waited_counts_queueing_not_the_agents_think_time() -> None:
    loaded = voice()
    tally = Tally(window=(0.0, 7200.0))
    q = "voice_general"
    # offered on arrival, answered after 8 s of think time; offered after 30 s in queue
    tally.items["at-once"] = ItemTrack(arrived=100.0, stream=0, counted=True, queue=q,
                                       offered=100.0, assigned=108.0)
    tally.items["queued"] = ItemTrack(arrived=200.0, stream=0, counted=True, queue=q,
                                      offered=230.0, assigned=238.0)
    report = build_report(Result(loaded=loaded, tally=tally, config_version="x", wall_s=0.1))
    figures = report.queues[q]
    assert figures.waited_share == pytest.approx(0.5)
    assert figures.wait is not None and figures.wait.mean == pytest.approx(23.0)


def test_offers_are_counted_for_measured_items_only() -> None:
    """As the waits are: items arriving in the warm-up are not in the offer counts."""
    result = run(voice(warm_up="30m", agent={"count": 2}))
    report = build_report(result)
    measured = [t for t in result.tally.items.values() if t.counted and t.assigned is not None]
    assert result.tally.offers["accepted"] == len(measured)
    assert report.queues["voice_general"].answered == len(measured)


def test_default_threshold_is_20s_and_the_report_says_so() -> None:
    result = run(voice(agent={"count": 2}))
    report = build_report(result)
    assert report.queues["voice_general"].service_level.threshold_s == 20.0
    assert report.queues["voice_general"].service_level.default_threshold
    assert "sets no service-level threshold" in render_text(report)


def test_declines_are_recorded_until_the_agent_is_excluded() -> None:
    result = run(voice(agent={"accept_probability": 0.0}, arrivals={"per_hour": 6},
                       duration="1h"))
    report = build_report(result)
    assert report.offers["accepted"] == 0
    assert report.offers["declined"] >= 3
    assert result.tally.outputs["agent.excluded"] >= 1
    figures = report.queues["voice_general"]
    assert figures.answered == 0
    assert figures.waiting_at_end == figures.arrived > 0


def test_unanswered_offers_expire_through_the_sweeper() -> None:
    # The sample's voice offers time out after 20 s; this agent answers after 30 s.
    result = run(voice(agent={"think_time": {"distribution": "fixed", "value": "30s"}}))
    report = build_report(result)
    assert report.offers["expired"] > 0
    assert report.offers["accepted"] == 0
    assert report.queues["voice_general"].answered == 0


def test_abandoning_an_offered_item_revokes_the_offer() -> None:
    result = run(voice(agent={"think_time": {"distribution": "fixed", "value": "10s"}},
                       arrivals={"patience": {"distribution": "fixed", "value": "5s"}}))
    report = build_report(result)
    assert report.offers["revoked"] > 0
    assert report.offers["accepted"] == 0
    assert report.queues["voice_general"].abandoned == report.queues["voice_general"].arrived


def test_every_issued_offer_has_one_outcome() -> None:
    result = run(voice(agent={"count": 2, "accept_probability": 0.7,
                              "think_time": {"distribution": "exponential", "mean": "12s"}},
                       arrivals={"per_hour": 40,
                                 "patience": {"distribution": "exponential", "mean": "1m"}}))
    offers = build_report(result).offers
    answered = offers["accepted"] + offers["declined"] + offers["expired"] + offers["revoked"]
    assert offers["issued"] - 2 <= answered <= offers["issued"]  # at most 2 pending at the end
    assert min(offers.values()) > 0


def test_occupancy_is_handling_time_over_staffed_time() -> None:
    result = run(voice(agent={"count": 2}, arrivals={"per_hour": 30}, warm_up="30m"))
    start, end = result.tally.window
    busy: dict[str, float] = {}
    for item in result.tally.items.values():
        if item.assigned is not None and item.agent is not None:
            overlap = min(item.assigned + item.handle, end) - max(item.assigned, start)
            busy[item.agent] = busy.get(item.agent, 0.0) + max(overlap, 0.0)
    report = build_report(result)
    for agent in report.agents:
        assert agent.staffed_s == pytest.approx(end - start)
        assert agent.occupancy == pytest.approx(busy[agent.id] / (end - start))
        assert 0 < agent.occupancy < 1
    assert report.groups["v"].occupancy == pytest.approx(sum(busy.values()) / 2 / (end - start))


def test_scheduled_rates_and_presence() -> None:
    result = run(voice(
        arrivals={"per_hour": None, "schedule": [{"start": 0, "per_hour": 0},
                                                 {"start": "1h", "per_hour": 60}]},
        agent={"schedule": [{"at": "90m", "presence": "lunch"}]}))
    arrivals = [item.arrived for item in result.tally.items.values()]
    assert arrivals and min(arrivals) >= 3600.0
    assert not [i for i in result.tally.items.values()
                if i.assigned is not None and i.assigned > 5400.0]
    agent = build_report(result).agents[0]
    assert agent.staffed_s == pytest.approx(5400.0)  # lunch maps to away: not staffed


def test_same_seed_same_result_other_seed_other_traffic() -> None:
    def arrivals(seed: int) -> list[float]:
        return [i.arrived for i in run(voice(seed=seed)).tally.items.values()]

    assert arrivals(4) == arrivals(4)
    assert arrivals(4) != arrivals(5)
