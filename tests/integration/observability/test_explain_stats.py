"""`router explain` and `router stats` on real Redis, with state written by the routing
service over `RedisStore` (no Kafka: the service is called directly)."""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY

from router.config.load import load_config
from router.contract import inputs as i
from router.contract.envelope import SCHEMA_VERSION, Event
from router.observability.collector import StateCollector, tenants_by_id
from router.observability.command import add_parser
from router.service.handlers import RoutingService
from router.service.tenancy import tenants_of
from router.settings import Settings
from router.state.redis_store import RedisBackend
from tests.integration.stack import Stack


def _event(tenant: str, cls: type[Event[Any]], event_id: str, subject: str, data: Any,
           at: float) -> Event[Any]:
    return cls(id=event_id, tenant=tenant, time=datetime.fromtimestamp(at, UTC),
               source="test/observability", subject=subject, schema_version=SCHEMA_VERSION,
               data=data)


def _agent(tenant: str, agent_id: str, skills: dict[str, int], presence: str,
           at: float) -> Event[Any]:
    return _event(tenant, i.AgentRegistered, f"reg-{agent_id}", agent_id, i.AgentRegisteredData(
        capacity=i.Capacity(units=30, profiles={"chat": 3}), skills=skills,
        queues=["languages"], presence=presence), at)


def _item(tenant: str, item_id: str, language: str, at: float) -> Event[Any]:
    return _event(tenant, i.WorkItemCreated, f"new-{item_id}", item_id, i.WorkItemCreatedData(
        workstream="chat", attributes={"language": language}), at)


async def _populate(settings: Settings, tenant: str) -> None:
    """Two agents of the `languages` queue, neither of whom can take a French chat: one
    lacks French, the other is away. Two French chats wait."""
    config = load_config(settings.config_path)
    backend = RedisBackend.from_url(settings.redis_url)
    try:
        service = RoutingService(tenants_of(config, {tenant: backend.tenant(tenant)}, "1-test"))
        now = time.time()
        for event in (
            _agent(tenant, "ana", {"en": 5}, "available", now - 30),
            _agent(tenant, "bo", {"fr": 5}, "away", now - 30),
            _item(tenant, "chat-1", "fr", now - 20),
            _item(tenant, "chat-2", "fr", now - 10),
        ):
            await service.handle(event)
    finally:
        await backend.aclose()


def _run(settings: Settings, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="router")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    result: int = args.handler(settings, args)
    return result


@pytest.fixture()
def populated(stack: Stack, routing_config: Path, tenant: str) -> Settings:
    settings = Settings(redis_url=stack.redis_url, config_path=routing_config)
    asyncio.run(_populate(settings, tenant))
    return settings


def test_explain_names_the_condition_that_blocks_each_agent(
    populated: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(populated, ["explain", "chat-2"]) == 0
    text = capsys.readouterr().out
    assert "state          queued" in text
    assert "queue          languages" in text
    assert "position       2" in text
    assert "requires       skill fr>=3" in text
    assert "ana                      filtered: skills:fr>=3" in text
    assert "bo                       filtered: presence:away" in text
    assert "why            no_eligible_agent: every agent is filtered out:" in text

    assert _run(populated, ["explain", "chat-1", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["position"] == 1 and report["assignable"] is False
    assert {a["agent"]: a["reason"] for a in report["agents"]} == {
        "ana": "skills:fr>=3", "bo": "presence:away"}
    assert report["estimated_wait_s"] is None  # no Prometheus given: said, not guessed


def test_explain_of_an_unknown_item_says_so(
    populated: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(populated, ["explain", "no-such-item"]) == 1
    assert "item no-such-item: not found" in capsys.readouterr().out


def test_stats_shows_depth_waits_agents_and_capacity(
    populated: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(populated, ["stats", "languages", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    [row] = stats["queues"]
    assert row["waiting"] == 2 and row["depth"]["default"] == 2
    assert row["sampled"] == 2 and row["oldest_wait_s"] >= 19.0
    assert row["agents"] == {"available": 1, "away": 1}
    assert row["idle_agents"] == 1  # ana: available and holding nothing
    assert (row["units_used"], row["units_total"]) == (0, 60)
    assert stats["agents"] == {"available": 1, "away": 1}

    assert _run(populated, ["stats", "languages"]) == 0
    text = capsys.readouterr().out
    assert "waiting      2 (default 2)" in text
    assert "agents       available 1, away 1; idle 1" in text


def test_stats_rejects_an_unknown_queue_and_threshold(
    populated: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(populated, ["stats", "nope"]) == 2
    assert "queue 'nope': not a queue of" in capsys.readouterr().err
    assert _run(populated, ["stats", "--service-level", "7"]) == 2
    assert "--service-level 7: must be one of" in capsys.readouterr().err


def _gauge(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


def test_state_collector_sets_the_gauges_and_drops_them_when_not_reporting(
    populated: Settings, tenant: str
) -> None:
    config = load_config(populated.config_path)

    async def scenario() -> None:
        backend = RedisBackend.from_url(populated.redis_url)
        reporting = {tenant}
        collector = StateCollector(backend, tenants_by_id(config.tenants),
                                   is_reporter=lambda t: t in reporting)
        try:
            await collector.collect_once()
            q = {"tenant": tenant, "queue": "languages"}
            assert _gauge("router_queue_depth", **q, bucket="default") == 2
            assert _gauge("router_items", **q, state="queued") == 2
            assert _gauge("router_items", **q, state="offered") == 0
            assert (_gauge("router_queue_oldest_wait_seconds", **q) or 0) >= 19.0
            assert _gauge("router_queue_agents", **q, presence="away") == 1
            assert _gauge("router_queue_idle_agents", **q) == 1
            # ana idles but lacks French: nothing the core could offer now
            assert _gauge("router_queue_assignable_waiting", **q) == 0
            assert _gauge("router_queue_capacity_units", **q, kind="total") == 60
            assert _gauge("router_agents", tenant=tenant, presence="available") == 1
            reporting.clear()  # another worker reports this tenant now
            await collector.collect_once()
            assert _gauge("router_queue_depth", **q, bucket="default") is None
            assert _gauge("router_agents", tenant=tenant, presence="available") is None
        finally:
            await collector.stop()
            await backend.aclose()

    asyncio.run(scenario())
