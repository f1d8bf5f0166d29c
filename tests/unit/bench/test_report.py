"""Bench figures: summaries, pacing, option parsing, and the report's verdicts."""

from __future__ import annotations

import dataclasses
import math
import time
from pathlib import Path

import pytest

from router.bench.latency import STAGES, Phase, Stage, summarize, worst_lag
from router.bench.machine import code_version, describe, kafka_version
from router.bench.report import BenchResult, render, verdicts
from router.bench.runner import parse_rates
from router.bench.traffic import paced


def phase(name: str, *, sent: int = 1000, received: int = 1000, span_s: float = 1.0,
          p99_s: float = 0.01) -> Phase:
    return Phase(name=name, sent=sent, received=received, span_s=span_s, publish_s=0.5,
                 p50_s=p99_s / 4, p90_s=p99_s / 2, p99_s=p99_s, max_s=p99_s * 2)


def result(router_sustained: Phase, at_1000: Phase | None) -> BenchResult:
    rates = {100.0: phase("router at 100/s", p99_s=0.005)}
    if at_1000 is not None:
        rates[1000.0] = at_1000
    return BenchResult(
        command="router bench", started="2026-01-01 00:00:00", duration_s=60.0,
        machine={"CPU": "test cpu", "Cores": "2"}, redis_version="7.0", settings={"agents": "5"},
        baseline_sustained=phase("bare", span_s=0.1),
        router_sustained=router_sustained,
        baseline_rates={100.0: phase("bare at 100/s", p99_s=0.002),
                        1000.0: phase("bare at 1000/s", p99_s=0.004)},
        router_rates=rates,
    )


def test_summary_of_sent_and_received() -> None:
    sent = {f"k{n}": float(n) for n in range(100)}
    received = {f"k{n}": n + 0.001 * (n + 1) for n in range(90)}  # 10 never arrived
    summary = summarize("x", sent, received)
    assert (summary.sent, summary.received, summary.lost) == (100, 90, 10)
    assert summary.p50_s == pytest.approx(0.045)
    assert summary.p99_s == pytest.approx(0.090)
    assert summary.max_s == pytest.approx(0.090)
    assert summary.span_s == pytest.approx(89.09)
    assert summary.throughput == pytest.approx(90 / 89.09)
    assert summary.offered_rate == pytest.approx(100 / 99)
    empty = summarize("y", {"a": 1.0}, {})
    assert empty.received == 0 and math.isnan(empty.p99_s) and math.isnan(empty.throughput)


def test_stages_split_each_item_at_the_workers_two_instants() -> None:
    sent = {f"k{n}": float(n) for n in range(10)}
    received = {f"k{n}": n + 0.030 for n in range(10)}
    # handling began 10 ms after publish (k9: 20 ms), the offer went out 15 ms after that
    marks = {f"k{n}": (n + (0.020 if n == 9 else 0.010), n + (0.035 if n == 9 else 0.025))
             for n in range(10)}
    del marks["k3"]  # an offer without a usable record timestamp is left out of the split
    stages = summarize("x", sent, received, marks).stages
    assert [stage.name for stage in stages] == list(STAGES)
    assert stages[0].p50_s == pytest.approx(0.010) and stages[0].p99_s == pytest.approx(0.020)
    assert stages[1].p50_s == pytest.approx(0.015) and stages[1].p99_s == pytest.approx(0.015)
    assert stages[2].p50_s == pytest.approx(0.005)
    assert stages[2].p99_s == pytest.approx(0.005, abs=1e-9)
    assert summarize("x", sent, received).stages == ()
    nothing = summarize("y", sent, {}, marks).stages
    assert all(math.isnan(stage.p50_s) for stage in nothing)


def test_report_shows_the_stages_of_router_phases_only() -> None:
    base = result(phase("r", span_s=0.5), phase("r1000", p99_s=0.02))
    assert "Where the router's time goes" not in render(base)
    staged = Phase(**{**phase("router at 1,000/s").__dict__, "stages": (
        Stage(STAGES[0], 0.004, 0.012), Stage(STAGES[1], 0.006, 0.020),
        Stage(STAGES[2], 0.002, 0.003)), "cpu_per_item_s": (("worker", 0.00061),
                                                             ("Redis", 0.00037)),
        "input_batch_mean": 7.25})
    text = render(BenchResult(**{**base.__dict__, "router_rates": {1000.0: staged}}))
    assert "## Where the router's time goes" in text
    assert "| input batch | worker CPU per item | Redis CPU per item |" in text
    assert ("| router at 1,000/s | 4.0 ms | 12.0 ms | 6.0 ms | 20.0 ms | 2.0 ms | 3.0 ms "
            "| 7.2 | 610 µs | 370 µs |" in text)
    unmetered = Phase(**{**staged.__dict__, "input_batch_mean": math.nan})
    text = render(BenchResult(**{**base.__dict__, "router_rates": {1000.0: unmetered}}))
    assert "| 3.0 ms | n/a | 610 µs |" in text
    assert "| r |" not in text.split("## Where the router's time goes")[1]


def test_verdicts_follow_the_measurement() -> None:
    met = verdicts(result(phase("r", received=1000, span_s=0.1), phase("r1000", p99_s=0.02)))
    assert "**10,000/s**" in met[0] and "**met**" in met[0]
    assert "20.0 ms" in met[1] and "**met**" in met[1]

    slow = verdicts(result(phase("r", span_s=2.0), phase("r1000", p99_s=0.03)))
    assert "**500/s**" in slow[0] and "**not met**" in slow[0]
    assert "**30.0 ms**" in slow[1] and "**not met**" in slow[1]

    lossy = verdicts(result(phase("r", received=900, span_s=0.1),
                            phase("r1000", received=999, p99_s=0.001)))
    assert "**not met** (100 of 1000 items were not offered" in lossy[0]
    assert "**not met** (1 of 1000 items were not offered" in lossy[1]

    unmeasured = verdicts(result(phase("r"), None))
    assert "not measured in this run" in unmeasured[1]

    bursty = dataclasses.replace(phase("r1000", p99_s=0.02), send_lag_s=0.2)
    lagged = verdicts(result(phase("r", received=1000, span_s=0.1), bursty))
    assert "**not met** (the sender fell up to 200.0 ms behind its schedule" in lagged[1]


def test_the_senders_worst_lag_is_measured_against_its_schedule() -> None:
    on_time = [0.0, 0.001, 0.002, 0.003]
    assert worst_lag(on_time, 1000.0) == 0.0
    stalled = [0.0, 0.001, 0.052, 0.0521]  # 50 ms stall at the third, then a burst
    assert worst_lag(stalled, 1000.0) == pytest.approx(0.050)
    assert worst_lag(stalled, None) == 0.0 and worst_lag([], 1000.0) == 0.0
    sent = {f"k{n}": at for n, at in enumerate(stalled)}
    assert summarize("p", sent, sent, rate=1000.0).send_lag_s == pytest.approx(0.050)


def test_report_has_ratios_to_bare_kafka() -> None:
    text = render(result(phase("r", span_s=0.5), phase("r1000", p99_s=0.02)))
    assert "| sustained items/s (first publish to last receipt) | 2,000/s | 10,000/s | 0.20x |" \
        in text
    assert "| p99 at 100/s | 5.0 ms | 2.0 ms | 2.50x |" in text
    assert "| p99 at 1,000/s | 20.0 ms | 4.0 ms | 5.00x |" in text
    tiny = render(result(phase("r", received=10, span_s=1.0), None))
    assert "| 10/s | 10,000/s | 0.001x |" in tiny
    huge = render(result(phase("r"), phase("r1000", p99_s=4.0)))
    assert "| p99 at 1,000/s | 4000.0 ms | 4.0 ms | 1,000x |" in huge
    assert "| CPU | test cpu |" in text and "| Redis | 7.0 |" in text
    assert "- Command: `router bench`" in text


def test_paced_sending_keeps_the_rate() -> None:
    stamps: list[float] = []
    started = time.perf_counter()
    paced(50, 200.0, lambda _n: stamps.append(time.perf_counter()))
    assert len(stamps) == 50
    assert stamps[-1] - started >= 49 / 200.0 - 0.001
    fast: list[int] = []
    paced(1000, None, fast.append)
    assert fast == list(range(1000))
    stopped: list[int] = []
    paced(10, None, stopped.append, stop=lambda: len(stopped) >= 3)
    assert stopped == [0, 1, 2]


def test_rates_option_names_the_bad_part() -> None:
    assert parse_rates("100, 500,1000") == (100.0, 500.0, 1000.0)
    with pytest.raises(ValueError, match="--rates: 'fast' is not a number"):
        parse_rates("100,fast")
    with pytest.raises(ValueError, match="--rates: 0 must be above 0"):
        parse_rates("0")


def test_machine_description(tmp_path: Path) -> None:
    (tmp_path / "kafka_2.13-3.9.1.jar").touch()
    (tmp_path / "kafka-clients-3.9.1.jar").touch()
    assert kafka_version(tmp_path) == "3.9.1"
    assert kafka_version(tmp_path / "missing").startswith("unknown")
    assert code_version(tmp_path).startswith("unknown")
    machine = describe()
    assert set(machine) >= {"CPU", "Cores", "Memory", "Python", "Kafka", "librdkafka"}


def test_the_full_lifecycle_phase_is_reported_beside_the_targets_not_against_them() -> None:
    base = result(phase("r", span_s=0.5), phase("r1000", p99_s=0.02))
    with_life = BenchResult(**{**base.__dict__, "router_lifecycle": phase(
        "router full lifecycle at 100/s", sent=200, received=199, p99_s=0.3)})
    lines = verdicts(with_life)
    assert len(lines) == 3
    assert "(100/s, four input events per item)" in lines[2]
    assert "**300.0 ms**" in lines[2] and "1 of 200 items were not offered" in lines[2]
    assert "met" not in lines[2]
    assert "| router full lifecycle at 100/s | 200 | 199 |" in render(with_life)
    assert "full lifecycle" not in render(base)


def test_report_sets_the_machines_cpu_per_item_beside_bare_kafkas() -> None:
    def busy(p: Phase, machine_s: float) -> Phase:
        return dataclasses.replace(p, cpu_per_item_s=(("worker", machine_s / 2),
                                                      ("machine", machine_s)))

    at_1000 = busy(phase("r1000", p99_s=0.02), 0.0017)
    run = dataclasses.replace(
        result(busy(phase("r", span_s=0.5), 0.0006), at_1000),
        baseline_sustained=busy(phase("bare", span_s=0.1), 0.0001),
        baseline_rates={100.0: phase("bare at 100/s"),  # measured without a meter
                        1000.0: busy(phase("bare at 1000/s"), 0.0004)})
    text = render(run)
    assert "| machine CPU per item, as fast as possible | 600 µs | 100 µs | 6.00x |" in text
    assert "| machine CPU per item at 1,000/s | 1,700 µs | 400 µs | 4.25x |" in text
    assert "| machine CPU per item at 100/s | n/a | n/a | n/a |" in text
