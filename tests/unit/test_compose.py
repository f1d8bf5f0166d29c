"""No Docker engine runs here, so the compose file is checked by reading it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def test_the_stack_has_every_service() -> None:
    services = _compose()["services"]
    assert {"kafka", "redis", "topics", "router", "prometheus", "grafana"} <= set(services)


def test_kafka_is_3_9_1_in_kraft_mode() -> None:
    kafka = _compose()["services"]["kafka"]
    assert kafka["image"].endswith(":3.9.1")
    assert kafka["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"


def test_the_router_is_built_from_the_repository_and_reaches_the_services() -> None:
    services = _compose()["services"]
    router = services["router"]
    assert (ROOT / router["build"]["dockerfile"]).is_file()
    assert router["environment"]["ROUTER_KAFKA_BOOTSTRAP"] == "kafka:9092"
    assert router["environment"]["ROUTER_REDIS_URL"].startswith("redis://redis:")
    assert router["depends_on"]["topics"]["condition"] == "service_completed_successfully"


def test_every_mounted_file_exists() -> None:
    for name, service in _compose()["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name} mounts missing {source}"
