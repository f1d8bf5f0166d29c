"""`router demo`: the traffic generator and live view behind `make run`."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from router.demo.runner import DemoOptions, run_demo
from router.settings import Settings

DESCRIPTION = """\
Simulated channel connectors publish work items for a tenant of the routing
configuration (Poisson arrivals over its workstreams, following a compressed daily
ramp), and simulated agents registered in all of its queues answer the router's
offers: after a think time most accept, some decline, a few miss the offer and let
it expire; accepted work is completed after a handle time and closed after a short
wrap-up. Agents take breaks now and then (custom presence statuses).

Every second the console shows throughput (items in, offers out), the wait from
publish to offer (p50/p90, measured by the demo), offers by outcome and queue depths
(from the worker's /metrics at ROUTER_HTTP_ADDRESS, else counted from the events seen).
A worker must be running (`make run` starts one). Ctrl-C stops; agents go offline.
"""


def _positive(name: str, allow_zero: bool = False) -> type[float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name}: {text!r} is not a number") from None
        if value < 0 or (value == 0 and not allow_zero):
            raise argparse.ArgumentTypeError(
                f"{name}: must be {'0 or more' if allow_zero else 'above 0'}, got {text}")
        return value
    return parse  # type: ignore[return-value]


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = commands.add_parser(
        "demo", help="publish demo traffic with simulated connectors and agents, live view",
        description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    demo.add_argument("--rate", type=_positive("--rate"), default=5.0,
                      help="peak work items per second; the ramp dips to 30%% of it "
                      "(default 5)")
    demo.add_argument("--duration", type=_positive("--duration", True), default=0.0,
                      help="seconds to run; 0 runs until Ctrl-C (default 0)")
    demo.add_argument("--agents", type=int, default=0,
                      help="simulated agents; 0 sizes the team for about 80%% occupancy at "
                      "the peak rate (default 0)")
    demo.add_argument("--ramp-period", type=_positive("--ramp-period", True), default=600.0,
                      help="seconds of one compressed day of arrivals; 0 keeps the rate flat "
                      "(default 600)")
    demo.add_argument("--tenant", default=None,
                      help="tenant of the routing configuration (default: the first)")
    demo.add_argument("--seed", type=int, default=None,
                      help="random seed: the same arrival times and items on every run "
                           "(the agents' answers still follow the router's timing)")
    demo.set_defaults(handler=handle)


def handle(settings: Settings, args: argparse.Namespace) -> int:
    if args.agents < 0:
        print(f"router demo: --agents: must be 0 or more, got {args.agents}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    options = DemoOptions(rate=args.rate, duration_s=args.duration, agents=args.agents,
                          ramp_period_s=args.ramp_period, seed=args.seed, tenant=args.tenant)
    try:
        result = run_demo(settings, options, stop=stop)
    except ValueError as exc:
        print(f"router demo: {exc}", file=sys.stderr)
        return 2
    except RuntimeError as exc:
        print(f"router demo: {exc}", file=sys.stderr)
        return 1
    snap = result.snapshot
    print(f"demo: stopped after {snap.elapsed_s:.0f} s: {snap.published} items published, "
          f"{snap.offers} offers, {snap.assignments} assignments, {snap.closed} closed",
          file=sys.stderr)
    return 0
