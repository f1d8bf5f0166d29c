"""`router bench`: the end-to-end benchmark behind `make bench`, written to BENCHMARKS.md."""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
from pathlib import Path
from types import FrameType

from router.bench.progress import to_stderr
from router.bench.report import render
from router.bench.runner import BenchOptions, parse_rates, run_bench
from router.settings import Settings

DESCRIPTION = """\
Measures the router end to end on this machine (docs/design.md "Performance targets"):
one `router worker` process is started on topics and a tenant of the run's own, with
agents that have room (and, in the full-lifecycle phase only, accept every offer at
once); then

  - sustained throughput: --items work items published as fast as possible, items/s
    from the first publish to the last offer received (offers are left pending);
  - latency: at each of --rates items/s for --rate-seconds, p50/p90/p99/max from
    publish to offer received (offers left pending, as in the targets' definition);
  - full lifecycle: the same at --lifecycle-rate items/s with offers accepted at once
    and items completed and closed (four input events per item; no target applies).

A bare Kafka round trip (produce, consume, no processing) with the same messages and
rates is measured in the same run; the report gives the router's figures, their ratios
to it, the targets (5,000 items/s; p99 <= 25 ms at 1,000/s) met or not, where the
router's time goes (way in, worker, way out; CPU per item of the worker and Redis), and
the machine. Kafka and Redis must be running (`make bench` starts them). Progress goes to
stderr. The run's topics and Redis keys are removed afterwards unless --keep.
"""


def _float(text: str, *, zero_allowed: bool = False) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value < 0 or (value == 0 and not zero_allowed):
        raise argparse.ArgumentTypeError(
            f"must be {'0 or above' if zero_allowed else 'above 0'}, got {text}")
    return value


def _positive_float(text: str) -> float:
    return _float(text)


def _rate_or_zero(text: str) -> float:
    return _float(text, zero_allowed=True)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be above 0, got {text}")
    return value


def _rates(text: str) -> tuple[float, ...]:
    try:
        return parse_rates(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--rates: ")) from None


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    bench = commands.add_parser(
        "bench", help="end-to-end benchmark against bare Kafka; writes BENCHMARKS.md",
        description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    bench.add_argument("--items", type=_positive_int, default=10_000,
                       help="items of the as-fast-as-possible phase (default 10000)")
    bench.add_argument("--rates", type=_rates, default=(100.0, 500.0, 1000.0),
                       help="comma-separated fixed rates, items/s (default 100,500,1000)")
    bench.add_argument("--rate-seconds", type=_positive_float, default=10.0,
                       help="seconds each fixed rate publishes (default 10)")
    bench.add_argument("--agents", type=_positive_int, default=50,
                       help="simulated agents, each with room for any number of items "
                       "(default 50)")
    bench.add_argument("--lifecycle-rate", type=_rate_or_zero, default=100.0,
                       help="items/s of the full-lifecycle phase; 0 leaves it out "
                       "(default 100)")
    bench.add_argument("--wait", type=_positive_float, default=90.0,
                       help="longest wait in seconds for one phase's last offer; a phase "
                       "where nothing arrives for 20 s gives up sooner; items still not "
                       "offered are reported as such (default 90)")
    bench.add_argument("--broker-warm-up", type=_rate_or_zero, default=15.0,
                       metavar="SECONDS",
                       help="shortest warm-up of the broker (bare round trips as fast as "
                       "possible) before anything is timed; a broker just started runs "
                       "at a third of its speed at first (default 15)")
    bench.add_argument("--output", type=Path, default=Path("BENCHMARKS.md"),
                       help="report file, overwritten (default BENCHMARKS.md)")
    bench.add_argument("--keep", action="store_true",
                       help="keep the run's topics and Redis keys afterwards")
    bench.set_defaults(handler=handle)


def handle(settings: Settings, args: argparse.Namespace) -> int:
    options = BenchOptions(items=args.items, rates=args.rates, rate_seconds=args.rate_seconds,
                           agents=args.agents, wait_s=args.wait, keep=args.keep,
                           lifecycle_rate=args.lifecycle_rate,
                           broker_warm_up_s=args.broker_warm_up)
    command = shlex.join([
        "router", "bench", "--items", str(args.items),
        "--rates", ",".join(f"{rate:g}" for rate in args.rates),
        "--rate-seconds", f"{args.rate_seconds:g}", "--agents", str(args.agents),
        "--lifecycle-rate", f"{args.lifecycle_rate:g}",
        "--broker-warm-up", f"{args.broker_warm_up:g}",
    ])
    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt  # unwinds through the clean-up (worker, topics, keys)

    signal.signal(signal.SIGTERM, interrupt)
    try:
        result = run_bench(settings, options, command, to_stderr)
    except RuntimeError as exc:
        print(f"router bench: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("router bench: interrupted; no report written", file=sys.stderr)
        return 130
    text = render(result)
    args.output.write_text(text)
    to_stderr(f"wrote {args.output}")
    print(text.split("## Router compared")[0].rstrip())
    return 0
