"""BENCHMARKS.md: the figures, their ratios to bare Kafka, the machine, and a verdict.

The verdict compares with the targets of docs/design.md as measured, whatever it says; a
phase that lost items (not offered before the wait ran out) cannot meet a target.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from router.bench.latency import STAGES, Phase

TARGET_ITEMS_PER_S = 5000.0
TARGET_P99_S = 0.025
TARGET_RATE = 1000.0
SENDER_LAG_LIMIT_S = TARGET_P99_S
"""A sender further behind its schedule than the latency target itself sent a burst
that the target's steady rate does not describe. (Smaller lags are usual: the bench's
own sender shares the two cores and one interpreter with its offer reader, and lags
10-15 ms at worst at 1,000/s while the router runs, 3 ms beside bare Kafka.)"""


@dataclass(frozen=True)
class BenchResult:
    command: str
    started: str
    """UTC date and time the run began."""
    duration_s: float
    machine: Mapping[str, str]
    redis_version: str
    settings: Mapping[str, str]
    baseline_sustained: Phase
    router_sustained: Phase
    baseline_rates: Mapping[float, Phase]
    router_rates: Mapping[float, Phase]
    router_lifecycle: Phase | None = None
    """Offers answered at once, items completed and closed: four inputs per item."""
    notes: Sequence[str] = ()


def _ms(seconds: float) -> str:
    if math.isnan(seconds):
        return "n/a"
    return f"{seconds * 1000:.1f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def _rate(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:,.0f}/s"


def _ratio(router: float, baseline: float) -> str:
    if math.isnan(router) or math.isnan(baseline) or baseline == 0:
        return "n/a"
    ratio = router / baseline
    if ratio >= 100:
        return f"{ratio:,.0f}x"
    if ratio >= 0.01:
        return f"{ratio:.2f}x"
    return f"{ratio:.2g}x"


def verdicts(result: BenchResult) -> list[str]:
    lines = []
    sustained = result.router_sustained
    met = sustained.lost == 0 and sustained.throughput >= TARGET_ITEMS_PER_S
    lines.append(
        f"- Sustained throughput: **{_rate(sustained.throughput)}** against a target of at "
        f"least {TARGET_ITEMS_PER_S:,.0f}/s: **{'met' if met else 'not met'}**"
        + (f" ({sustained.lost} of {sustained.sent} items were not offered within the wait)"
           if sustained.lost else "") + ".")
    at_target = result.router_rates.get(TARGET_RATE)
    if at_target is None:
        lines.append(f"- p99 at {TARGET_RATE:,.0f} items/s: not measured in this run "
                     "(rate not requested).")
    else:
        steady = at_target.send_lag_s <= SENDER_LAG_LIMIT_S
        met = at_target.lost == 0 and at_target.p99_s <= TARGET_P99_S and steady
        lines.append(
            f"- p99 from publish to offer at {TARGET_RATE:,.0f} items/s: "
            f"**{_ms(at_target.p99_s)}** against a target of at most "
            f"{TARGET_P99_S * 1000:.0f} ms: **{'met' if met else 'not met'}**"
            + (f" ({at_target.lost} of {at_target.sent} items were not offered within the "
               "wait)" if at_target.lost else "")
            + ("" if steady else
               f" (the sender fell up to {_ms(at_target.send_lag_s)} behind its schedule, "
               "so the rate was not steady and the figure cannot count)") + ".")
    life = result.router_lifecycle
    if life is not None:
        lines.append(
            f"- Beyond the targets, with agents answering and every item completed and "
            f"closed ({life.name.removeprefix('router full lifecycle at ')}, four input "
            f"events per item): p99 from publish to offer **{_ms(life.p99_s)}**"
            + (f"; {life.lost} of {life.sent} items were not offered within the wait"
               if life.lost else "") + ".")
    return lines


def _phase_row(label: str, phase: Phase) -> str:
    return (f"| {label} | {phase.sent} | {phase.received} | {_rate(phase.offered_rate)} | "
            f"{_ms(phase.send_lag_s)} | "
            f"{_rate(phase.throughput)} | {_ms(phase.p50_s)} | {_ms(phase.p90_s)} | "
            f"{_ms(phase.p99_s)} | {_ms(phase.max_s)} |")


def _stage_table(result: BenchResult) -> list[str]:
    phases = [result.router_sustained, *(p for _, p in sorted(result.router_rates.items()))]
    if result.router_lifecycle is not None:
        phases.append(result.router_lifecycle)
    phases = [phase for phase in phases if phase.stages]
    if not phases:
        return []
    cpu_names = list(dict.fromkeys(name for phase in phases for name, _ in phase.cpu_per_item_s))
    out = [
        "",
        "## Where the router's time goes",
        "",
        "Each offer carries two instants stamped by the worker: its `time`, when the "
        "worker began handling the item, and its Kafka record's timestamp, when the "
        "outbox relay handed it to the producer. They split publish-to-receipt into "
        "(1) the input's way in: producer linger, broker, the worker's consumer and its "
        "queue; (2) the worker: agents read, decision, commit in Redis, and the wait for "
        "the relay to take it from the outbox; (3) the way out: relay producer, broker, "
        "the benchmark's consumer. Same machine, same wall clock; Kafka timestamps are "
        "whole milliseconds. Percentiles of the parts do not add up to the whole's.",
        "",
        "CPU per item is what the worker process, its outbox relay process and Redis "
        "spent over the phase (from "
        "publish to the last offer, or the last assignment in the full lifecycle, idle "
        "moments included), divided by the items "
        "offered: steadier than wall-clock figures when other work shares the machine. "
        "Redis forks are its AOF rewrites and snapshots that ended in the phase. "
        "Machine is the busy CPU of all cores, every process included (the broker and "
        "the benchmark's clients too), with what they spend whatever the traffic, so at "
        "low rates it is mostly that (see the comparison above). Stolen is CPU the "
        "hypervisor gave to others, which slows everything else in the run. Input batch "
        "is the worker's mean work-item "
        "records per batch handed to input handling (what queued while the batches before "
        "were handled): every batch pays the consumer's, the acknowledgements' and the "
        "relay's round trips whatever its size, so the smaller the batches, the more CPU "
        "an item costs (`benchmarks/service_batches.py` gives the router's own share at "
        "each size).",
        "",
        "| phase | " + " | ".join(f"{name} p50 | p99" for name in STAGES)
        + " | input batch" + "".join(f" | {name} CPU per item" for name in cpu_names) + " |",
        "|---|" + "---|---|" * len(STAGES) + "---|" + "---|" * len(cpu_names),
    ]
    for phase in phases:
        cells = " | ".join(f"{_ms(stage.p50_s)} | {_ms(stage.p99_s)}" for stage in phase.stages)
        cells += f" | {_records(phase.input_batch_mean)}"
        cpu = dict(phase.cpu_per_item_s)
        cells += "".join(f" | {_us(cpu.get(name, math.nan))}" for name in cpu_names)
        out.append(f"| {phase.name} | {cells} |")
    return out


def _machine_cpu(phase: Phase | None) -> float:
    return math.nan if phase is None else dict(phase.cpu_per_item_s).get("machine", math.nan)


def _machine_cpu_row(label: str, router: Phase, baseline: Phase | None) -> str:
    """Busy CPU of the whole machine per item (broker and clients included) on both
    sides: how much busier the router keeps the machine than the broker alone does at the
    same rate, which wall-clock latency alone does not say."""
    mine, theirs = _machine_cpu(router), _machine_cpu(baseline)
    return f"| {label} | {_us(mine)} | {_us(theirs)} | {_ratio(mine, theirs)} |"


def _records(mean: float) -> str:
    return "n/a" if math.isnan(mean) else f"{mean:,.1f}"


def _us(seconds: float) -> str:
    return "n/a" if math.isnan(seconds) else f"{seconds * 1e6:,.0f} µs"


def render(result: BenchResult) -> str:
    out = [
        "# Benchmarks",
        "",
        "End to end, as a client sees it: a work item published to its input topic, to the "
        "offer received from the offers topic, with one router worker process, Kafka and "
        "Redis on the same machine (docs/design.md, \"Performance targets\"). Beside it, in the "
        "same run, a bare Kafka round trip (produce, consume, no processing) with the same "
        "message bytes, producer settings and rates. Written by `make bench`; overwritten "
        "on every run.",
        "",
        f"- Command: `{result.command}`",
        f"- Date: {result.started} UTC (the run took {result.duration_s:.0f} s)",
        "",
        "## Verdict against the targets",
        "",
        *verdicts(result),
        "",
        "## Router compared with bare Kafka",
        "",
        "Machine CPU per item is the busy CPU of all cores over the phase (every process, "
        "idle moments included) divided by the items received. Both sides pay for the "
        "broker and the benchmark's clients; the router adds the worker, Redis and a "
        "second trip through the broker (input, then offer). It includes what every "
        "process spends whatever the traffic (polls, timers, the worker's small batches), "
        "so at a fixed rate it falls as the rate rises; times the rate it is how busy the "
        "machine was. As fast as possible it comes nearest to a capacity, but still "
        "holds what processes spend whatever the traffic, so the cores divided by it "
        "only estimate the rate this machine's CPU could carry (low, unless every core "
        "was busy throughout).",
        "",
        "| measure | router | bare Kafka | router / Kafka |",
        "|---|---|---|---|",
        f"| sustained items/s (first publish to last receipt) | "
        f"{_rate(result.router_sustained.throughput)} | "
        f"{_rate(result.baseline_sustained.throughput)} | "
        f"{_ratio(result.router_sustained.throughput, result.baseline_sustained.throughput)} |",
        _machine_cpu_row("machine CPU per item, as fast as possible", result.router_sustained,
                         result.baseline_sustained),
    ]
    for rate, phase in sorted(result.router_rates.items()):
        base = result.baseline_rates.get(rate)
        for label, attr in (("p50", "p50_s"), ("p90", "p90_s"), ("p99", "p99_s"),
                            ("max", "max_s")):
            mine = float(getattr(phase, attr))
            theirs = math.nan if base is None else float(getattr(base, attr))
            out.append(f"| {label} at {rate:,.0f}/s | {_ms(mine)} | {_ms(theirs)} | "
                       f"{_ratio(mine, theirs)} |")
        out.append(_machine_cpu_row(f"machine CPU per item at {rate:,.0f}/s", phase, base))
    out += [
        "",
        "## Every phase",
        "",
        "Sent and received count items (router: offers received; Kafka: records read "
        "back). The send rate is what the publisher achieved; the sender lag is how far it "
        "fell behind its schedule at worst (a stall it then caught up on, which the rate "
        "hides); the receive rate is received items over first publish to last receipt.",
        "",
        "| phase | sent | received | send rate | sender lag | receive rate | p50 | p90 | p99 "
        "| max |",
        "|---|---|---|---|---|---|---|---|---|---|",
        _phase_row("bare Kafka, as fast as possible", result.baseline_sustained),
        _phase_row("router, as fast as possible", result.router_sustained),
    ]
    for rate in sorted(set(result.router_rates) | set(result.baseline_rates)):
        if rate in result.baseline_rates:
            out.append(_phase_row(f"bare Kafka at {rate:,.0f}/s", result.baseline_rates[rate]))
        if rate in result.router_rates:
            out.append(_phase_row(f"router at {rate:,.0f}/s", result.router_rates[rate]))
    if result.router_lifecycle is not None:
        out.append(_phase_row(result.router_lifecycle.name, result.router_lifecycle))
    out += _stage_table(result)
    out += ["", "## Machine", "", "| | |", "|---|---|"]
    out += [f"| {name} | {value} |" for name, value in result.machine.items()]
    out.append(f"| Redis | {result.redis_version} |")
    out += ["", "## How it was measured", "",
            "- One `router worker` process with the bundled sample configuration (its "
            "tenant renamed for the run), its own topic prefix, consumer group and Redis "
            "keys, all removed afterwards.",
            "- Items are chat work items routed to the `general` queue (longest idle), "
            "offered to agents with capacity to spare (\"agents free\", as the targets "
            "say). In the as-fast-as-possible and fixed-rate phases the agents leave the "
            "offers pending (the run's offer timeout is an hour), so those phases measure "
            "what the targets define: items turned into offers, one input event per item.",
            "- The full-lifecycle phase (`--lifecycle-rate`) is the production-like load "
            "beside it: agents accept every offer as soon as it arrives and complete and "
            "close every assignment at once, so the worker handles four input events per "
            "item (created, accepted, completed, closed) while being measured. No target "
            "applies to it.",
            "- Times are taken in the benchmark process on one monotonic clock: before each "
            "produce call, and when the consumer hands over the batch holding the offer.",
            "- Both sides use the client SDK's producer settings (idempotent, acks=all, "
            "murmur2, linger 5 ms) and a consumer assigned at the end of each topic.",
            "- Between phases the benchmark waits for the worker's consumer group to catch "
            "up on every input topic, so each phase starts from an idle router.",
            "",
            "Settings of this run:", ""]
    out += [f"- {name}: {value}" for name, value in result.settings.items()]
    if result.notes:
        out += ["", "## Notes", ""] + [f"- {note}" for note in result.notes]
    return "\n".join(out) + "\n"
