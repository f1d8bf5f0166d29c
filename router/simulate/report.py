"""The figures a what-if comparison needs, computed from a run's tally.

Waits are from arrival to assignment (the agent starts handling), the quantity Erlang C
predicts. Service level is the share of measured items answered within the queue's
threshold, counting abandoned items and items still waiting past the threshold at the
end against it; an item still waiting at the end but not yet past the threshold has no
known outcome and is left out. Occupancy is the share of an agent's capacity held over
its staffed time (base presence available or busy), wrap-up included. With offers, the
wait includes the agent's think time; "waited" is the share of answered items that were
not offered on arrival (queued for an agent), so think time alone does not count.
Offers and assignments are counted, like the waits, for items arriving after the warm-up.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import msgspec

from router.simulate.durations import format_duration
from router.simulate.engine import Result
from router.simulate.scenario import DEFAULT_SERVICE_LEVEL_S

OFFER_OUTCOMES = ("issued", "accepted", "declined", "expired", "revoked")


class WaitStats(msgspec.Struct, frozen=True, kw_only=True):
    mean: float
    p50: float
    p90: float
    p99: float
    max: float


class ServiceLevelFigure(msgspec.Struct, frozen=True, kw_only=True):
    threshold_s: float
    default_threshold: bool
    share: float | None


class QueueFigures(msgspec.Struct, frozen=True, kw_only=True):
    arrived: int
    answered: int
    abandoned: int
    waiting_at_end: int
    waited_share: float | None
    wait: WaitStats | None
    service_level: ServiceLevelFigure


class AgentFigures(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    group: str
    occupancy: float | None
    staffed_s: float
    handled: int


class GroupFigures(msgspec.Struct, frozen=True, kw_only=True):
    """An agent group as a whole: occupancy is its occupied time over its staffed time."""

    agents: int
    occupancy: float | None
    handled: int


class Report(msgspec.Struct, frozen=True, kw_only=True):
    scenario: str
    seed: int
    tenant: str
    duration_s: float
    warm_up_s: float
    queues: dict[str, QueueFigures]
    unclassified: int
    agents: list[AgentFigures]
    groups: dict[str, GroupFigures]
    offers: dict[str, int]
    assignments: dict[str, int]
    inputs_handled: int
    wall_s: float


def percentile(ordered: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), on sorted data."""
    if not ordered:
        raise ValueError("no data")
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def wait_stats(waits: Sequence[float]) -> WaitStats | None:
    if not waits:
        return None
    ordered = sorted(waits)
    return WaitStats(mean=sum(ordered) / len(ordered), p50=percentile(ordered, 0.5),
                     p90=percentile(ordered, 0.9), p99=percentile(ordered, 0.99),
                     max=ordered[-1])


def build_report(result: Result) -> Report:
    scenario = result.loaded.scenario
    tally = result.tally
    end = tally.window[1]
    by_queue: dict[str, list[Any]] = {}
    unclassified = 0
    for track in tally.items.values():
        if not track.counted:
            continue
        if track.unclassified or track.queue is None:
            unclassified += 1
            continue
        by_queue.setdefault(track.queue, []).append(track)
    queues: dict[str, QueueFigures] = {}
    for queue in sorted(by_queue):
        tracks = by_queue[queue]
        threshold, is_default = scenario.threshold(queue)
        waits = [t.wait for t in tracks if t.wait is not None]
        abandoned = sum(1 for t in tracks if t.abandoned is not None)
        waiting = [t for t in tracks if t.wait is None and t.abandoned is None]
        late = sum(1 for t in waiting if end - t.arrived > threshold)
        within = sum(1 for w in waits if w <= threshold)
        known = len(waits) + abandoned + late
        queues[queue] = QueueFigures(
            arrived=len(tracks),
            answered=len(waits),
            abandoned=abandoned,
            waiting_at_end=len(waiting),
            waited_share=(sum(1 for t in tracks if t.wait is not None and t.queued)
                          / len(waits)) if waits else None,
            wait=wait_stats(waits),
            service_level=ServiceLevelFigure(threshold_s=threshold,
                                             default_threshold=is_default,
                                             share=within / known if known else None),
        )
    agents = [AgentFigures(id=a.id, group=a.group, staffed_s=a.staffed_s, handled=a.handled,
                           occupancy=(a.occupied_s / a.staffed_s) if a.staffed_s > 0 else None)
              for a in tally.agents.values()]
    groups: dict[str, GroupFigures] = {}
    for name in dict.fromkeys(a.group for a in tally.agents.values()):
        members = [a for a in tally.agents.values() if a.group == name]
        staffed = sum(a.staffed_s for a in members)
        groups[name] = GroupFigures(
            agents=len(members), handled=sum(a.handled for a in members),
            occupancy=sum(a.occupied_s for a in members) / staffed if staffed > 0 else None)
    return Report(
        scenario=scenario.name, seed=scenario.seed, tenant=result.loaded.tenant.id,
        duration_s=float(scenario.duration), warm_up_s=float(scenario.warm_up),
        queues=queues, unclassified=unclassified, agents=agents, groups=groups,
        offers={k: tally.offers.get(k, 0) for k in OFFER_OUTCOMES},
        assignments={"via_offer": tally.assignments.get("offer", 0),
                     "direct": tally.assignments.get("direct", 0)},
        inputs_handled=tally.inputs_handled, wall_s=result.wall_s)


def to_json(report: Report) -> bytes:
    return msgspec.json.encode(report)


def _pct(share: float | None) -> str:
    return "-" if share is None else f"{100 * share:.1f}%"


def _s(seconds: float) -> str:
    return f"{seconds:.1f}s"


def render_text(report: Report) -> str:
    lines = [f"scenario {report.scenario or '(unnamed)'}  seed {report.seed}  tenant "
             f"{report.tenant}  ran {format_duration(report.duration_s)} of virtual time "
             f"(first {format_duration(report.warm_up_s)} not measured) in "
             f"{report.wall_s:.1f}s, {report.inputs_handled} input events"]
    lines.append("")
    lines.append(f"{'queue':<16}{'arrived':>8}{'answered':>9}{'abandon':>8}{'waiting':>8}"
                 f"{'waited':>8}{'mean':>9}{'p50':>9}{'p90':>9}{'p99':>9}  service level")
    defaulted = False
    for queue, q in report.queues.items():
        w = q.wait
        sl = q.service_level
        mark = "*" if sl.default_threshold else ""
        defaulted = defaulted or sl.default_threshold
        cells = ([_s(w.mean), _s(w.p50), _s(w.p90), _s(w.p99)] if w else ["-"] * 4)
        lines.append(f"{queue:<16}{q.arrived:>8}{q.answered:>9}{q.abandoned:>8}"
                     f"{q.waiting_at_end:>8}{_pct(q.waited_share):>8}"
                     + "".join(f"{c:>9}" for c in cells)
                     + f"  {_pct(sl.share)} within {sl.threshold_s:g}s{mark}")
    if defaulted:
        lines.append(f"* the routing config sets no service-level threshold and the scenario "
                     f"gives none: {DEFAULT_SERVICE_LEVEL_S:g}s used")
    if report.unclassified:
        lines.append(f"{report.unclassified} item(s) could not be classified into a queue")
    lines.append("")
    lines.append("offers: " + ", ".join(f"{k} {v}" for k, v in report.offers.items())
                 + f"; assignments: via offer {report.assignments['via_offer']}, "
                 f"direct {report.assignments['direct']}")
    lines.append("")
    lines.append(f"{'agent group':<24}{'occupancy':>10}{'handled':>9}{'agents':>12}")
    for name, g in report.groups.items():
        lines.append(f"{name:<24}{_pct(g.occupancy):>10}{g.handled:>9}{g.agents:>12}")
    lines.append("")
    lines.append(f"{'agent':<24}{'occupancy':>10}{'handled':>9}{'staffed':>12}")
    for a in report.agents:
        lines.append(f"{a.id:<24}{_pct(a.occupancy):>10}{a.handled:>9}"
                     f"{format_duration(a.staffed_s):>12}")
    return "\n".join(lines)
