"""Writes the router's Grafana dashboards (deploy/grafana/dashboards/*.json).

Why generated: two dashboards share the datasource and tenant variables, panel shapes
and PromQL idioms; writing them from one table keeps them consistent, and the test
(tests/integration/observability) runs every expression found in the JSON against a real
Prometheus. Run `python deploy/grafana/generate.py` after editing; commit both.

The JSON model is Grafana's classic dashboard model at schemaVersion 39 (Grafana 11.1,
the image docker-compose.yml runs). Every query names the datasource through the
`datasource` variable, whose default is the provisioned datasource (uid `prometheus`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 39
DS = {"type": "prometheus", "uid": "${datasource}"}
T = 'tenant=~"$tenant"'
TQ = 'tenant=~"$tenant",queue=~"$queue"'
RI = "$__rate_interval"
SL = "20.0"  # service-level threshold (seconds), a bucket bound of router_item_to_offer_seconds


def _q(sel: str, metric: str, q: float, by: str = "") -> str:
    group = f"le{', ' + by if by else ''}"
    return (f"histogram_quantile({q}, sum by ({group}) "
            f"(rate({metric}_bucket{{{sel}}}[{RI}])))")


def _panel(title: str, targets: list[tuple[str, str]], *, kind: str = "timeseries",
           unit: str = "short", description: str = "", stack: bool = False) -> dict[str, Any]:
    custom: dict[str, Any] = {"fillOpacity": 10, "lineWidth": 1}
    if stack:
        custom["stacking"] = {"mode": "normal", "group": "A"}
    return {
        "type": kind,
        "title": title,
        "description": description,
        "datasource": DS,
        "fieldConfig": {"defaults": {"unit": unit, **({"custom": custom}
                                                      if kind == "timeseries" else {})},
                        "overrides": []},
        "options": {"legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
                    "tooltip": {"mode": "multi", "sort": "desc"}} if kind == "timeseries" else
                   {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                    "colorMode": "value", "graphMode": "area", "textMode": "auto"},
        "targets": [
            {"datasource": DS, "expr": expr, "legendFormat": legend, "refId": chr(65 + n),
             "range": True}
            for n, (expr, legend) in enumerate(targets)
        ],
    }


def _variables(with_queue: bool) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [
        {"type": "datasource", "name": "datasource", "label": "Data source",
         "query": "prometheus", "current": {"text": "Prometheus", "value": "prometheus"},
         "hide": 0, "refresh": 1, "options": [], "regex": ""},
        _query_var("tenant", "Tenant", "label_values(router_queue_depth, tenant)"),
    ]
    if with_queue:
        out.append(_query_var("queue", "Queue",
                              'label_values(router_queue_depth{tenant=~"$tenant"}, queue)'))
    return out


def _query_var(name: str, label: str, query: str) -> dict[str, Any]:
    return {"type": "query", "name": name, "label": label, "datasource": DS,
            "query": {"query": query, "refId": f"{name}-values"}, "definition": query,
            "refresh": 2, "includeAll": True, "multi": True, "allValue": ".*",
            "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
            "options": [], "sort": 1, "hide": 0, "regex": ""}


def _layout(panels: list[dict[str, Any]], width: int = 12, height: int = 8) -> list[dict[str, Any]]:
    per_row = 24 // width
    for n, panel in enumerate(panels):
        panel["id"] = n + 1
        panel["gridPos"] = {"h": height, "w": width, "x": (n % per_row) * width,
                            "y": (n // per_row) * height}
    return panels


def _dashboard(uid: str, title: str, description: str, panels: list[dict[str, Any]],
               with_queue: bool) -> dict[str, Any]:
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["router"],
        "timezone": "browser",
        "editable": True,
        "graphTooltip": 1,
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "refresh": "10s",
        "time": {"from": "now-1h", "to": "now"},
        "templating": {"list": _variables(with_queue)},
        "annotations": {"list": []},
        "links": [],
        "panels": _layout(panels),
    }


def overview() -> dict[str, Any]:
    panels = [
        _panel("Input events handled per second", [
            (f"sum by (topic, outcome) (rate(router_events_consumed_total[{RI}]))",
             "{{topic}} {{outcome}}")], unit="ops",
            description="Events consumed from each input topic (all tenants)."),
        _panel("Offers per second by outcome", [
            (f"sum by (outcome) (rate(router_offers_total{{{T}}}[{RI}]))", "{{outcome}}")],
            unit="ops"),
        _panel("Item to offer (latency percentiles)", [
            (_q(T, "router_item_to_offer_seconds", 0.5), "p50"),
            (_q(T, "router_item_to_offer_seconds", 0.95), "p95"),
            (_q(T, "router_item_to_offer_seconds", 0.99), "p99")], unit="s",
            description="From work_item.queued to the item's first offer or direct assignment."),
        _panel("Time to accept (percentiles)", [
            (_q(T, "router_time_to_accept_seconds", 0.5), "p50"),
            (_q(T, "router_time_to_accept_seconds", 0.95), "p95")], unit="s"),
        _panel("Queue depth by bucket", [
            (f"sum by (queue, bucket) (router_queue_depth{{{T}}})", "{{queue}} / {{bucket}}")],
            stack=True),
        _panel("Oldest waiting item", [
            (f"max by (queue) (router_queue_oldest_wait_seconds{{{T}}})", "{{queue}}")],
            unit="s"),
        _panel(f"Service level: offered within {SL[:-2]} s", [
            (f'sum by (queue) (rate(router_item_to_offer_seconds_bucket{{{T},le="{SL}"}}[{RI}]))'
             f" / sum by (queue) (rate(router_item_to_offer_seconds_count{{{T}}}[{RI}]))",
             "{{queue}}")], unit="percentunit"),
        _panel("Items by state", [
            (f"sum by (state) (router_items{{{T}}})", "{{state}}")], stack=True),
        _panel("Agents by presence", [
            (f"sum by (presence) (router_agents{{{T}}})", "{{presence}}")], stack=True),
        _panel("Capacity utilisation by queue", [
            (f'sum by (queue) (router_queue_capacity_units{{{T},kind="used"}})'
             f' / sum by (queue) (router_queue_capacity_units{{{T},kind="total"}} > 0)',
             "{{queue}}")], unit="percentunit",
            description="Units in use over units of the queue's logged-in agents."),
        _panel("Dead-lettered input records per second", [
            (f"sum by (topic, reason) (rate(router_dead_letters_total[{RI}]))",
             "{{topic}} {{reason}}")], unit="ops"),
        _panel("Consumer lag", [
            ("sum by (topic) (router_consumer_lag_records)", "{{topic}}")], unit="short",
            description="Input records not yet committed, summed over partitions and workers."),
        _panel("Routing cycle duration (p95)", [
            (_q("", "router_cycle_seconds", 0.95, "trigger"), "{{trigger}}")], unit="s"),
        _panel("Store command latency (p95)", [
            (_q("", "router_store_command_seconds", 0.95, "script"), "{{script}}")], unit="s"),
        _panel("Event handling latency (p95)", [
            (_q("", "router_event_handling_seconds", 0.95, "topic"), "{{topic}}")], unit="s"),
        _panel("Input batch size (mean records)", [
            (f"sum by (topic) (rate(router_input_batch_records_sum[{RI}]))"
             f" / sum by (topic) (rate(router_input_batch_records_count[{RI}]) > 0)",
             "{{topic}}")], unit="short",
            description="Records per batch handed to input handling: near 1 the workers "
                        "keep up with room to spare; at ROUTER_BATCH_MAX they fall behind."),
        _panel("Outputs published per second", [
            (f"sum by (type) (rate(router_outputs_published_total{{{T}}}[{RI}]))", "{{type}}")],
            unit="ops"),
    ]
    return _dashboard("router-overview", "Router overview",
                      "Throughput, latency, queues, agents and errors of the router.",
                      panels, with_queue=False)


def queue_drilldown() -> dict[str, Any]:
    panels = [
        _panel("Waiting by bucket", [
            (f"sum by (bucket) (router_queue_depth{{{TQ}}})", "{{bucket}}")], stack=True),
        _panel("Oldest waiting item", [
            (f"max by (queue) (router_queue_oldest_wait_seconds{{{TQ}}})", "{{queue}}")],
            unit="s"),
        _panel("Arrivals per second by bucket", [
            (f"sum by (bucket) (rate(router_items_queued_total{{{TQ}}}[{RI}]))", "{{bucket}}")],
            unit="ops"),
        _panel("Items by state", [
            (f"sum by (state) (router_items{{{TQ}}})", "{{state}}")], stack=True),
        _panel("Offers per second by outcome", [
            (f"sum by (outcome) (rate(router_offers_total{{{TQ}}}[{RI}]))", "{{outcome}}")],
            unit="ops"),
        _panel("Assignments per second", [
            (f"sum by (via) (rate(router_assignments_total{{{TQ}}}[{RI}]))", "{{via}}")],
            unit="ops"),
        _panel("Item to offer (percentiles)", [
            (_q(TQ, "router_item_to_offer_seconds", 0.5), "p50"),
            (_q(TQ, "router_item_to_offer_seconds", 0.95), "p95")], unit="s"),
        _panel("Time to accept (percentiles)", [
            (_q(TQ, "router_time_to_accept_seconds", 0.5), "p50"),
            (_q(TQ, "router_time_to_accept_seconds", 0.95), "p95")], unit="s"),
        _panel(f"Service level: offered within {SL[:-2]} s", [
            (f'sum(rate(router_item_to_offer_seconds_bucket{{{TQ},le="{SL}"}}[{RI}]))'
             f" / sum(rate(router_item_to_offer_seconds_count{{{TQ}}}[{RI}]))", "service level")],
            kind="stat", unit="percentunit"),
        _panel("Agents by presence", [
            (f"sum by (presence) (router_queue_agents{{{TQ}}})", "{{presence}}")], stack=True),
        _panel("Idle agents and assignable waiting items", [
            (f"sum(router_queue_idle_agents{{{TQ}}})", "idle agents"),
            (f"sum(router_queue_assignable_waiting{{{TQ}}})", "assignable items waiting")],
            description="Both above zero for long means routing is stuck for this queue."),
        _panel("Capacity units", [
            (f"sum by (kind) (router_queue_capacity_units{{{TQ}}})", "{{kind}}")]),
    ]
    return _dashboard("router-queue", "Router queue drill-down",
                      "One queue (or several) in detail: waits, offers, agents, capacity.",
                      panels, with_queue=True)


DASHBOARDS = {"router-overview.json": overview, "router-queue.json": queue_drilldown}


def main(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    for name, build in DASHBOARDS.items():
        (out / name).write_text(json.dumps(build(), indent=2) + "\n")
        print(f"wrote {out / name}")
    return 0


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "dashboards"
    sys.exit(main(target))
