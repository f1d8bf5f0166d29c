"""The benchmark's phases in order, on topics and Redis keys of its own.

Order: set-up, bare Kafka (a paced warm-up, a broker warm-up as fast as possible, then
the timed phases: as fast as possible, each fixed rate), then the router (worker start,
agents, warm-up, as fast as possible, each fixed rate), then clean-up. Kafka alone goes
first so its figures are not taken while the worker still digests the router phases'
last events.
"""

from __future__ import annotations

import dataclasses
import itertools
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import redis
import yaml

from router.admin import create_topics
from router.bench import machine
from router.bench.baseline import BareRoundTrip
from router.bench.batches import batch_meter
from router.bench.cpu import machine_meter, meter
from router.bench.latency import Phase
from router.bench.progress import ProgressFn
from router.bench.report import BenchResult
from router.bench.routed import RoutedRun
from router.bench.traffic import item_payload
from router.bench.wire import delete_topics, input_lag
from router.bench.worker import Worker, free_address
from router.client import Events
from router.config.load import sample_config_text
from router.settings import Settings
from router.state.keys import prefix as redis_prefix

WARM_UP_ITEMS = 200
BROKER_WARM_UP_ITEMS = 20_000
"""Messages per pass of the broker warm-up, at most as many as the sustained phase
(see `_warm_broker`). Why: `make bench` on a fresh clone starts the broker, and a cold JVM
cut the bare round trip to about a third (29,471/s against 78,718/s a few minutes
later); the 200 paced warm-up messages did not warm it, nor did one pass of 10,000
(55,669/s)."""
BROKER_WARM_TOLERANCE = 0.15
BROKER_WARM_UP_MAX_FACTOR = 3.0


@dataclass(frozen=True)
class BenchOptions:
    items: int = 10_000
    """Items of the as-fast-as-possible phase."""
    rates: tuple[float, ...] = (100.0, 500.0, 1000.0)
    rate_seconds: float = 10.0
    """How long each fixed-rate phase publishes."""
    agents: int = 50
    lifecycle_rate: float = 100.0
    """Items/s of the full-lifecycle phase (offers accepted, items completed and closed
    at once); 0 leaves the phase out."""
    wait_s: float = 90.0
    """Longest wait for one phase's last offer (a stalled phase gives up after 20 s)."""
    keep: bool = False
    """Keep the run's topics and Redis keys (for a look afterwards)."""
    broker_warm_up_s: float = 15.0
    """Shortest broker warm-up (bare round trips as fast as possible) before anything is
    timed; see BROKER_WARM_UP_ITEMS."""
    log_dir: Path = machine.ROOT / "var" / "log"


def phase_items(rate: float, options: BenchOptions) -> int:
    """Items a fixed-rate phase publishes: `rate` for `rate_seconds`."""
    return max(1, round(rate * options.rate_seconds))


def _payloads(events: Events, phase: str, count: int) -> list[tuple[bytes, bytes]]:
    return [item_payload(events, f"{phase}-{n:06d}") for n in range(count)]


BENCH_OFFER_TIMEOUT_S = 3600.0
"""Offers left pending by the as-fast-as-possible phase must not expire (and be offered
again) while later phases are measured."""


def _bench_config(tenant: str, directory: Path) -> Path:
    """The sample configuration for the run's own tenant, offers outlasting the run."""
    data = yaml.safe_load(sample_config_text())
    data["tenants"][0]["id"] = tenant
    for workstream in data["tenants"][0]["workstreams"]:
        workstream["offer_timeout_seconds"] = BENCH_OFFER_TIMEOUT_S
    path = directory / "routing.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


SETTLE_S = 90.0


def _settle(settings: Settings, progress: ProgressFn, phase: str, notes: list[str]) -> None:
    """Wait for the worker to commit every input record (accepts, completes, closes);
    if it cannot within SETTLE_S, say in the report what the next phase started with."""
    deadline = time.monotonic() + SETTLE_S
    lag = input_lag(settings)
    while lag > 0 and time.monotonic() < deadline:
        progress(f"waiting for the worker to catch up: {lag} input records behind")
        time.sleep(1.0)
        lag = input_lag(settings)
    if lag > 0:
        progress(f"the worker is still {lag} input records behind; {phase} starts anyway")
        notes.append(f"{phase} started with the worker {lag} input records behind (the "
                     f"previous phase's backlog had not drained after {SETTLE_S:.0f} s).")


def run_bench(base: Settings, options: BenchOptions, command: str,
              progress: ProgressFn) -> BenchResult:
    started_wall = datetime.now(UTC)
    started = time.monotonic()
    run = uuid.uuid4().hex[:8]
    tenant = f"bench-{run}"
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="router-bench-") as tmp:
        settings = dataclasses.replace(
            base, topic_prefix=f"bench-{run}.", app_id=f"router-bench-{run}",
            config_path=_bench_config(tenant, Path(tmp)), http_address=free_address())
        progress(f"creating topics {settings.topic_prefix}* on {settings.kafka_bootstrap}")
        create_topics(settings)
        events = Events(tenant=tenant, source="bench/connector")
        rates = sorted(options.rates)
        fixed = {rate: phase_items(rate, options) for rate in rates}
        try:
            baseline_sustained, baseline_rates = _baseline(settings, events, options, fixed,
                                                           progress)
            router_sustained, router_rates, lifecycle = _router(
                settings, tenant, events, options, fixed, progress, notes)
        finally:
            if not options.keep:
                _clean_up(settings, tenant, progress)
        redis_version = _redis_version(settings)
    return BenchResult(
        command=command,
        started=started_wall.strftime("%Y-%m-%d %H:%M:%S"),
        duration_s=time.monotonic() - started,
        machine=machine.describe(),
        redis_version=redis_version,
        settings={
            "code": machine.code_version(),
            "items as fast as possible": str(options.items),
            "fixed rates": ", ".join(f"{rate:,.0f}/s for {options.rate_seconds:.0f} s"
                                     for rate in rates),
            "agents": str(options.agents),
            "full lifecycle": (f"{options.lifecycle_rate:,.0f}/s for "
                               f"{options.rate_seconds:.0f} s" if options.lifecycle_rate
                               else "left out"),
            "partitions per topic": str(settings.topic_partitions),
            "message size": f"{len(item_payload(events, 'size-000000')[1])} bytes",
        },
        baseline_sustained=baseline_sustained,
        router_sustained=router_sustained,
        baseline_rates=baseline_rates,
        router_rates=router_rates,
        router_lifecycle=lifecycle,
        notes=notes,
    )


def _baseline(settings: Settings, events: Events, options: BenchOptions,
              fixed: dict[float, int], progress: ProgressFn) -> tuple[Phase, dict[float, Phase]]:
    progress("bare Kafka round trip: warming up")
    bare = BareRoundTrip(settings, f"{settings.topic_prefix}baseline", machine_meter)
    try:
        bare.run("bare warm-up", _payloads(events, "bare-warm", WARM_UP_ITEMS), 500.0,
                 options.wait_s, progress)
        progress("bare Kafka round trip: warming up the broker")
        _warm_broker(bare, events, options, progress)
        progress(f"bare Kafka round trip: {options.items} messages as fast as possible")
        sustained = bare.run("bare sustained", _payloads(events, "bare-max", options.items),
                             None, options.wait_s, progress)
        progress(f"  {sustained.throughput:,.0f} messages/s")
        by_rate: dict[float, Phase] = {}
        for rate, count in fixed.items():
            progress(f"bare Kafka round trip: {count} messages at {rate:,.0f}/s")
            phase = bare.run(f"bare at {rate:,.0f}/s", _payloads(events, f"bare-{rate:.0f}",
                                                                 count),
                             rate, options.wait_s, progress)
            progress(f"  p50 {phase.p50_s * 1000:.1f} ms, p99 {phase.p99_s * 1000:.1f} ms")
            by_rate[rate] = phase
        return sustained, by_rate
    finally:
        bare.close()


def _warm_broker(bare: BareRoundTrip, events: Events, options: BenchOptions,
                 progress: ProgressFn, clock: Callable[[], float] = time.monotonic) -> None:
    """Passes as fast as possible for at least `options.broker_warm_up_s`, then until one
    is within BROKER_WARM_TOLERANCE of the pass before it; at most
    BROKER_WARM_UP_MAX_FACTOR times that long, and at least two passes."""
    count = min(BROKER_WARM_UP_ITEMS, options.items)
    started = clock()
    previous = 0.0
    for number in itertools.count(1):
        warm = bare.run("bare broker warm-up", _payloads(events, f"bare-hot{number}", count),
                        None, options.wait_s, progress)
        elapsed = clock() - started
        progress(f"  broker warm-up {number} ({elapsed:.0f} s): "
                 f"{warm.throughput:,.0f} messages/s")
        if number >= 2:
            steady = abs(warm.throughput - previous) <= BROKER_WARM_TOLERANCE * previous
            if ((elapsed >= options.broker_warm_up_s and steady)
                    or elapsed >= BROKER_WARM_UP_MAX_FACTOR * options.broker_warm_up_s):
                return
        previous = warm.throughput


def _router(settings: Settings, tenant: str, events: Events, options: BenchOptions,
            fixed: dict[float, int], progress: ProgressFn,
            notes: list[str]) -> tuple[Phase, dict[float, Phase], Phase | None]:
    log_path = options.log_dir / f"bench-worker-{settings.app_id}.log"
    progress(f"starting one router worker (log: {log_path})")
    worker = Worker(settings, log_path)
    routed: RoutedRun | None = None
    cpu_client = redis.Redis.from_url(settings.redis_url)
    try:
        worker.wait_ready()
        queues = [queue["id"] for queue in
                  yaml.safe_load(Path(str(settings.config_path)).read_text())["tenants"][0]
                  ["queues"]]
        routed = RoutedRun(settings, tenant, queues, meter(worker.process.pid, cpu_client),
                           batch_meter(settings.http_address))
        progress(f"registering {options.agents} agents; warming up the worker")
        routed.register_agents(options.agents)
        warm = routed.run("router warm-up", _payloads(events, "rout-warm", WARM_UP_ITEMS), 200.0,
                          options.wait_s, progress)
        if warm.received == 0:
            raise RuntimeError(f"the worker offered none of the warm-up items; see {log_path}")
        _settle(settings, progress, "router, as fast as possible,", notes)
        progress(f"router: {options.items} items as fast as possible")
        sustained = routed.run("router sustained", _payloads(events, "rout-max", options.items),
                               None, options.wait_s, progress, answer=False)
        progress(f"  {sustained.throughput:,.0f} items/s ({sustained.received} offered)")
        def timed(label: str, tag: str, rate: float, count: int, answer: bool) -> Phase:
            name = f"router{label} at {rate:,.0f}/s"
            _settle(settings, progress, name, notes)
            progress(f"router: {count} items at {rate:,.0f}/s{label.replace(' ', ', ', 1)}")
            phase = routed.run(name, _payloads(events, f"{tag}{rate:.0f}", count), rate,
                               options.wait_s, progress, answer=answer)
            progress(f"  p50 {phase.p50_s * 1000:.1f} ms, p99 {phase.p99_s * 1000:.1f} ms"
                     f" ({phase.received}/{phase.sent} offered)")
            return phase

        by_rate = {rate: timed("", "rout-", rate, count, answer=False)
                   for rate, count in fixed.items()}
        lifecycle = None
        if options.lifecycle_rate:
            rate = options.lifecycle_rate
            lifecycle = timed(" full lifecycle", "life", rate, phase_items(rate, options),
                              answer=True)
        if not worker.alive():
            notes.append(f"the worker exited during the run; see {log_path}")
        if routed.undecodable:
            notes.append(f"{routed.undecodable} output records did not decode")
        return sustained, by_rate, lifecycle
    finally:
        if routed is not None:
            routed.close()
        cpu_client.close()
        worker.stop()


def _clean_up(settings: Settings, tenant: str, progress: ProgressFn) -> None:
    progress(f"removing the run's topics and Redis keys ({settings.topic_prefix}*)")
    try:
        delete_topics(settings, settings.topic_prefix)
    except Exception as exc:  # clean-up trouble must not hide the figures
        progress(f"could not delete the run's topics: {exc}")
    client = redis.Redis.from_url(settings.redis_url)
    try:
        batch: list[bytes] = []
        for key in client.scan_iter(match=f"{redis_prefix(tenant)}*", count=1000):
            batch.append(key)
            if len(batch) >= 1000:
                client.delete(*batch)
                batch.clear()
        if batch:
            client.delete(*batch)
    finally:
        client.close()


def _redis_version(settings: Settings) -> str:
    client = redis.Redis.from_url(settings.redis_url)
    try:
        return str(client.info("server").get("redis_version", "unknown"))
    except redis.RedisError:
        return "unknown"
    finally:
        client.close()


def parse_rates(text: str) -> tuple[float, ...]:
    """`100,500,1000` -> (100.0, 500.0, 1000.0); a clear error names the bad part."""
    rates: list[float] = []
    for part in text.split(","):
        try:
            rate = float(part)
        except ValueError:
            raise ValueError(f"--rates: {part.strip()!r} is not a number") from None
        if rate <= 0:
            raise ValueError(f"--rates: {part.strip()} must be above 0")
        rates.append(rate)
    return tuple(rates)

