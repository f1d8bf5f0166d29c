"""Issue 7 acceptance: every dashboard panel and alert rule against a real Prometheus.

A worker processes a small scenario (agents, chat items, simulated desktops accepting,
declining and ignoring offers, one malformed record) while the Debian Prometheus scrapes
its /metrics every second and evaluates the rule files. Then every PromQL expression of
every panel of every dashboard, with the dashboard variables filled in as Grafana would,
and every rule expression goes through /api/v1/query: each must parse and return data.

Alert expressions are `signal > threshold`; a short healthy run crosses only the
dead-letter threshold (the malformed record), so for the others the test requires that
they evaluate without error and that their signal (a recording rule) returns data.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Producer

from router.observability.command import add_parser
from router.settings import Settings
from tests.integration.conftest import WorkerProcess
from tests.integration.observability.promserver import (
    Prometheus,
    dashboard_expressions,
    rules,
    substitute,
)
from tests.integration.streams.harness import (
    WORKER_ENV,
    AgentPolicy,
    AgentSimulator,
    Collector,
    Feed,
    ItemSpec,
    derive_config,
    topic,
    versatile_agents,
    wait_all_assigned,
)

ITEMS = 30
QUEUE = "general"
"""Chat items without attributes go to the sample's fallback queue."""
MEASURED = {
    "item to offer p95 (s)": 'histogram_quantile(0.95, sum by (le) '
    '(rate(router_item_to_offer_seconds_bucket{tenant="$tenant"}[5m])))',
    "time to accept p95 (s)": 'histogram_quantile(0.95, sum by (le) '
    '(rate(router_time_to_accept_seconds_bucket{tenant="$tenant"}[5m])))',
    "cycle p95 (s)": "histogram_quantile(0.95, sum by (le) "
    "(rate(router_cycle_seconds_bucket[5m])))",
    "store command p95 (s)": "histogram_quantile(0.95, sum by (le) "
    "(rate(router_store_command_seconds_bucket[5m])))",
    "series exported by the worker": 'count({job="router"})',
}
FIRING = {"RouterDeadLetters"}
"""Alerts this scenario really triggers (one malformed input record)."""


@pytest.fixture()
def prometheus_for(tmp_path: Path) -> Iterator[Callable[[str], Prometheus]]:
    servers: list[Prometheus] = []

    def _start(target: str) -> Prometheus:
        server = Prometheus(tmp_path, [target])
        servers.append(server)
        server.wait_ready()
        return server

    yield _start
    for server in servers:
        server.stop()


def _has_number(result: list[dict[str, object]]) -> bool:
    return any(not math.isnan(float(sample["value"][1]))  # type: ignore[index]
               for sample in result)


def _wait_for(server: Prometheus, expr: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.query(expr):
            return
        time.sleep(0.5)
    raise AssertionError(
        f"no data for {expr} after {timeout_s:.0f}s (a worker exports the output and state "
        "series only when router/streams/app.py wires observe_outputs, init_tenant_series, "
        "StateCollector and LagReporter: see docs/observability.md)")


def test_every_panel_and_rule_returns_data_from_a_real_prometheus(
    settings: Settings, tenant: str, routing_config: Path,
    start_worker: Callable[..., WorkerProcess],
    prometheus_for: Callable[[str], Prometheus], capsys: pytest.CaptureFixture[str],
) -> None:
    derive_config(routing_config, offer_timeout_s=2.0, decline_limit=3)
    collector = Collector(settings, tenant)
    collector.start()
    feed = Feed(settings, tenant)
    agents = {a.id: a for a in versatile_agents(3)}
    desktops = AgentSimulator(feed, agents, AgentPolicy(accept=0.7, decline=0.2, seed=7,
                                                        handle_s=(0.5, 2.0)))
    try:
        worker = start_worker("worker", env=WORKER_ENV)
        server = prometheus_for(worker.http)
        # Series exist at zero before their first event, so rate() sees the first one
        # (a series born counting would show no increase): wait until one scrape had them.
        _wait_for(server, 'router_dead_letters_total{reason="decode"} == 0')
        _wait_for(server, f'router_item_to_offer_seconds_count{{queue="{QUEUE}"}} == 0')
        desktops.start(collector)
        for agent in agents.values():
            feed.register(agent)
        items = [ItemSpec(f"chat-{n:03d}", "chat", {}) for n in range(ITEMS)]
        for item in items:
            feed.create(item)
        feed.flush()
        _malformed(settings)
        wait_all_assigned(collector, [i.id for i in items], 120.0, [worker])
        # outputs, state rounds, lag rounds and rule evaluations all reach Prometheus
        for expr in ('router_offers_total{outcome="accepted"}', "router_queue_depth",
                     "router_consumer_lag_records", "router_dead_letters_total",
                     "router:queue_service_level:ratio_rate15m"):
            _wait_for(server, expr)
        variables = {"tenant": tenant, "queue": QUEUE, "__rate_interval": "5m"}
        problems: list[str] = []
        panels = list(dashboard_expressions())
        assert len(panels) >= 30
        for dashboard, title, raw in panels:
            expr = substitute(raw, variables)
            try:
                result = server.query(expr)
            except AssertionError as exc:
                problems.append(f"{dashboard} / {title}: {exc}")
                continue
            if not _has_number(result):
                problems.append(f"{dashboard} / {title}: no data for {expr} ({result})")
        for rule in rules():
            name = rule.get("record") or rule["alert"]
            try:
                result = server.query(rule["expr"])
            except AssertionError as exc:
                problems.append(f"rule {name}: {exc}")
                continue
            if ("record" in rule or name in FIRING) and not _has_number(result):
                problems.append(f"rule {name}: no data for {rule['expr']}")
        health = server.get("/api/v1/rules")["data"]["groups"]
        problems += [f"rule {r['name']}: {r['health']} {r.get('lastError')}"
                     for g in health for r in g["rules"] if r["health"] != "ok"]
        assert not problems, "\n".join(problems)
        deadline = time.monotonic() + 30.0
        firing: set[str] = set()
        while not firing >= FIRING and time.monotonic() < deadline:
            time.sleep(0.5)  # the alert group evaluates after the recording group
            alerts = server.get("/api/v1/alerts")["data"]["alerts"]
            firing = {a["labels"]["alertname"] for a in alerts if a["state"] == "firing"}
        assert firing >= FIRING, f"firing: {sorted(firing)}"
        for label, expr in MEASURED.items():  # for people reading the run (-s), not asserted
            values = [f"{float(r['value'][1]):.4f}" for r in server.query(
                substitute(expr, variables))]
            with capsys.disabled():
                print(f"{label}: {', '.join(values)}")
        # `router stats` takes the service level from the same Prometheus
        stats = _stats(settings, ["stats", QUEUE, "--json", "--prometheus",
                                  f"http://{server.address}"], capsys)
        level = stats["queues"][0]["service_level"]
        assert level is not None and 0.0 <= level <= 1.0
    finally:
        desktops.stop()
        collector.stop()
        feed.producer.flush(10)


def _stats(settings: Settings, argv: list[str],
           capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="router")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    capsys.readouterr()
    assert args.handler(settings, args) == 0
    out: dict[str, Any] = json.loads(capsys.readouterr().out)
    return out


def _malformed(settings: Settings) -> None:
    """One record that is not an event: dead-lettered, counted with a reason class."""
    producer = Producer({"bootstrap.servers": settings.kafka_bootstrap})
    producer.produce(topic(settings, "work-items"), key=b"x", value=b"not json")
    assert producer.flush(10) == 0
