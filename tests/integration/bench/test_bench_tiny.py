"""`router bench` in a tiny mode against the real stack: a BENCHMARKS-format report."""

from __future__ import annotations

import re
import time
from pathlib import Path

import redis
from confluent_kafka.admin import AdminClient

from router.bench.report import render
from router.bench.runner import BenchOptions, run_bench
from router.settings import Settings
from tests.integration.stack import Stack


def test_tiny_bench_writes_a_report_and_cleans_up(stack: Stack, tmp_path: Path) -> None:
    settings = Settings(kafka_bootstrap=stack.kafka_bootstrap, redis_url=stack.redis_url)
    lines: list[str] = []
    options = BenchOptions(items=300, rates=(100.0,), rate_seconds=2.0, agents=5, wait_s=60.0,
                           broker_warm_up_s=0.0,
                           log_dir=tmp_path)

    result = run_bench(settings, options, "router bench --items 300", lines.append)
    output = tmp_path / "BENCHMARKS.md"
    output.write_text(render(result))

    assert result.baseline_sustained.sent == result.baseline_sustained.received == 300
    assert result.router_sustained.sent == 300
    assert result.router_sustained.received == 300, lines[-5:]
    assert result.router_rates[100.0].sent == 200
    assert result.router_rates[100.0].received == 200
    assert result.router_lifecycle is not None
    assert result.router_lifecycle.sent == result.router_lifecycle.received == 200
    assert result.router_sustained.p50_s > 0
    # The worker's two instants fall between publish and receipt (clocks of one machine;
    # the record timestamp is whole milliseconds, hence the slack).
    stages = result.router_rates[100.0].stages
    assert len(stages) == 3 and all(stage.p50_s > -0.002 for stage in stages)
    assert sum(stage.p50_s for stage in stages) <= result.router_rates[100.0].max_s + 0.002
    cpu = dict(result.router_rates[100.0].cpu_per_item_s)
    assert cpu["worker"] > 0 and cpu["Redis"] > 0 and cpu["machine"] > 0
    assert cpu["Redis forks"] >= 0 and cpu["stolen"] >= 0
    # Read from the worker's /metrics: at least one record per batch, at most a phase's.
    assert 1 <= result.router_rates[100.0].input_batch_mean <= 200
    assert 1 <= result.router_sustained.input_batch_mean <= 300
    assert result.baseline_rates[100.0].stages == ()
    bare_cpu = dict(result.baseline_rates[100.0].cpu_per_item_s)
    assert bare_cpu.keys() == {"machine", "stolen"} and bare_cpu["machine"] > 0
    text = output.read_text()
    for heading in ("# Benchmarks", "## Verdict against the targets",
                    "## Router compared with bare Kafka", "## Every phase",
                    "## Where the router's time goes", "## Machine"):
        assert heading in text
    assert "- Command: `router bench --items 300`" in text
    assert re.search(r"\| sustained items/s .* \| [\d,]+/s \| [\d,]+/s \| [\d.,e-]+x \|", text)
    assert re.search(r"\| p99 at 100/s \| [\d.]+ ms \| [\d.]+ ms \| [\d.,e-]+x \|", text)
    assert re.search(r"\| machine CPU per item at 100/s \| [\d,]+ µs \| [\d,]+ µs \| "
                     r"[\d.,e-]+x \|", text)
    assert "p99 at 1,000 items/s: not measured in this run" in text
    assert "| router full lifecycle at 100/s | 200 | 200 |" in text
    assert "Beyond the targets, with agents answering" in text
    assert "| Cores |" in text and "| Kafka | 3." in text
    assert any("router: 300 items as fast as possible" in line for line in lines)

    run_prefix = next(line.split("topics ")[1].split("*")[0] for line in lines
                      if line.startswith("creating topics"))
    admin = AdminClient({"bootstrap.servers": stack.kafka_bootstrap})
    deadline = time.monotonic() + 15  # deletion reaches the metadata a moment later
    while True:
        left = [name for name in admin.list_topics(timeout=10).topics
                if name.startswith(run_prefix)]
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert left == []
    client = redis.Redis.from_url(stack.redis_url)
    try:
        tenant = run_prefix.rstrip(".")
        assert list(client.scan_iter(match=f"router:{{{tenant}}}:*")) == []
    finally:
        client.close()
