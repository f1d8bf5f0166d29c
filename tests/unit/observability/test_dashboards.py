"""The provisioned dashboards: current with their generator, in the JSON model of the
Grafana image docker-compose runs, every query on the templated datasource."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[3]
GRAFANA = ROOT / "deploy" / "grafana"
SCHEMA_BY_GRAFANA = {"11.0": 39, "11.1": 39, "11.2": 39}
"""schemaVersion of the classic JSON model per Grafana minor (DashboardMigrator)."""
BOUNDED = {"tenant", "queue", "bucket", "outcome", "reason", "le", "topic", "type", "state",
           "presence", "kind", "trigger", "script", "via", "partition"}
"""Labels a panel may match or group by: none grows with items or agents."""


def _labels(expr: str) -> set[str]:
    matched = set(re.findall(r"(\w+)\s*(?:=~|!~|!=|=)\s*\"", expr))
    grouped = {label.strip() for group in re.findall(r"\bby \(([^)]*)\)", expr)
               for label in group.split(",")}
    return matched | grouped


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location("generate", GRAFANA / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _dashboards() -> dict[str, dict[str, Any]]:
    return {p.name: json.loads(p.read_text()) for p in (GRAFANA / "dashboards").glob("*.json")}


def test_committed_dashboards_are_what_the_generator_writes() -> None:
    generate = _generator()
    files = _dashboards()
    assert set(files) == set(generate.DASHBOARDS)
    for name, build in generate.DASHBOARDS.items():
        assert files[name] == json.loads(json.dumps(build())), f"regenerate {name}"


def test_schema_version_matches_the_compose_grafana_image() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    image = compose["services"]["grafana"]["image"]
    minor = re.fullmatch(r"grafana/grafana:(\d+\.\d+)\.\d+", image)
    assert minor, image
    for name, model in _dashboards().items():
        assert model["schemaVersion"] == SCHEMA_BY_GRAFANA[minor.group(1)], name


def test_every_query_uses_the_datasource_variable_defaulting_to_the_provisioned_one() -> None:
    provisioned = yaml.safe_load(
        (GRAFANA / "provisioning" / "datasources" / "prometheus.yml").read_text())
    uid = provisioned["datasources"][0]["uid"]
    for name, model in _dashboards().items():
        [variable] = [v for v in model["templating"]["list"] if v["name"] == "datasource"]
        assert (variable["type"], variable["query"]) == ("datasource", "prometheus")
        assert variable["current"]["value"] == uid
        for panel in model["panels"]:
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, name
            for target in panel["targets"]:
                assert target["datasource"]["uid"] == "${datasource}"
                assert _labels(target["expr"]) <= BOUNDED, target["expr"]


def test_the_overview_covers_the_issue_and_the_drilldown_has_a_queue_variable() -> None:
    files = _dashboards()
    overview = " ".join(t["expr"] for p in files["router-overview.json"]["panels"]
                        for t in p["targets"])
    for metric in ("router_events_consumed_total", "router_item_to_offer_seconds_bucket",
                   "router_queue_depth", "router_queue_oldest_wait_seconds",
                   "router_offers_total", "router_agents", "router_queue_capacity_units",
                   "router_dead_letters_total", "router_consumer_lag_records"):
        assert metric in overview
    queue = files["router-queue.json"]
    assert "queue" in {v["name"] for v in queue["templating"]["list"]}
    assert all('queue=~"$queue"' in t["expr"] for p in queue["panels"] for t in p["targets"])
    ids = [p["id"] for p in queue["panels"]]
    assert len(ids) == len(set(ids))
