"""`router simulate SCENARIO`: run a scenario on the virtual clock and print the figures."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from pathlib import Path

from router.settings import Settings
from router.simulate.durations import format_duration
from router.simulate.tally import Tally

DESCRIPTION = """\
Runs the router's real routing service, decision core and in-memory store on a virtual
clock against a scenario: Poisson arrivals per workstream (constant or scheduled
rates), handle-time distributions, agents with skills, queues, capacity, accept
probability, think time and presence schedules. Nothing is published to Kafka or
stored in Redis. Prints per-queue waits (mean, p50, p90, p99), service level, agent
occupancy and offers by outcome. Progress (virtual time reached) goes to stderr.

Example scenarios: examples/scenarios/*.yaml"""

FORMAT = """\
scenario fields (durations are seconds or text such as "90s", "15m", "1h30m"):
  name, seed, duration, warm_up (not measured), start (RFC 3339 time of virtual 0)
  config       routing config YAML, relative to the scenario (default: bundled sample)
  tenant       tenant of the routing config (default: its first)
  timers       {sweep_interval: 1s, queue_sweep: 5s}, as the worker's ROUTER_*_MS
  service_level {default: 20s, queues: {QUEUE: 30s}}; without any, 20s is used
  arrivals     - {workstream, name, channel, attributes, priority, per_hour: N
                  | schedule: [{start: 0, per_hour: N}, ...], handle_time, patience}
  agents       - {name, count, queues, skills, attributes, capacity: {units, profiles},
                  presence, schedule: [{at, presence}], accept_probability,
                  think_time, wrap_up (used where the workstream waits until closed)}
  distributions {distribution: exponential, mean} | {distribution: lognormal, mean, sd}
                | {distribution: fixed, value}

figures: wait = arrival to assignment (includes think time with offers); service
level = answered within the threshold / (answered + abandoned + still waiting past
it); occupancy = capacity share held (handling and wrap-up) over time available or
busy; the first warm_up of the run is not measured."""


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "simulate",
        help="what-if simulation of a scenario on a virtual clock (no Kafka, no Redis)",
        description=DESCRIPTION,
        epilog=FORMAT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("scenario", type=Path, metavar="SCENARIO",
                        help="scenario YAML file (see examples/scenarios/)")
    parser.add_argument("--seed", type=int, default=None,
                        help="random seed; overrides the scenario's `seed` (same seed, same "
                        "result)")
    parser.add_argument("--chart", type=Path, default=None, metavar="PNG",
                        help="also write a PNG of waiting time over the run to this file")
    parser.add_argument("--json", action="store_true",
                        help="print the figures as one JSON object instead of tables")
    parser.set_defaults(handler=run_simulate)


def _progress(duration: float) -> Callable[[float, Tally], None]:
    def report(now: float, tally: Tally) -> None:
        share = 100 * now / duration if duration else 100.0
        print(f"simulate: virtual time {format_duration(now)} of {format_duration(duration)} "
              f"({share:.0f}%), {len(tally.items)} items, {tally.inputs_handled} input events",
              file=sys.stderr, flush=True)
    return report


def run_simulate(_settings: Settings, args: argparse.Namespace) -> int:
    from router.simulate.engine import simulate
    from router.simulate.report import build_report, render_text, to_json
    from router.simulate.scenario import ScenarioError, load_scenario

    try:
        loaded = load_scenario(args.scenario, seed=args.seed)
    except ScenarioError as exc:
        print(exc, file=sys.stderr)
        print(f"{args.scenario}: {len(exc.problems)} problem(s); nothing simulated",
              file=sys.stderr)
        return 1
    if args.chart is not None and not args.chart.parent.is_dir():
        print(f"simulate: --chart {args.chart}: the directory {args.chart.parent} does not "
              "exist; nothing simulated", file=sys.stderr)
        return 2
    progress = _progress(float(loaded.scenario.duration))
    result = asyncio.run(simulate(loaded, progress))
    report = build_report(result)
    if args.chart is not None:
        from router.simulate.chart import write_chart

        write_chart(result, args.chart)
        print(f"simulate: chart written to {args.chart}", file=sys.stderr)
    if args.json:
        sys.stdout.write(to_json(report).decode() + "\n")
    else:
        print(render_text(report))
    return 0
