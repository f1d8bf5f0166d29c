"""Offers by outcome and the two latency histograms, from output events alone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from prometheus_client import REGISTRY

from router.contract import outputs as o
from router.contract.envelope import SCHEMA_VERSION
from router.observability.outputs import Lru, OutputObserver

T0 = 1_750_000_000.0


def _head(kind: str, tenant: str, subject: str, at: float, **data: Any) -> dict[str, Any]:
    """An output event as the outbox relay hands it over (decoded JSON)."""
    return {"type": kind, "tenant": tenant, "subject": subject, "id": f"{kind}-{at}",
            "time": datetime.fromtimestamp(at, UTC).isoformat().replace("+00:00", "Z"),
            "source": "router", "schema_version": 1, "data": data}


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_offers_are_counted_by_outcome_and_latencies_are_timed() -> None:
    t = "unit-outputs-1"
    observer = OutputObserver()
    observer.observe([
        _head("work_item.queued", t, "c1", T0, queue="general", bucket=None),
        _head("work_item.queued", t, "c2", T0, queue="vip", bucket="platinum first"),
        _head("offer.issued", t, "c1", T0 + 4, offer_id="o1", agent_id="a", queue="general"),
        _head("offer.declined", t, "c1", T0 + 5, offer_id="o1", agent_id="a"),
        _head("offer.issued", t, "c1", T0 + 6, offer_id="o2", agent_id="b", queue="general"),
        _head("offer.accepted", t, "c1", T0 + 8.5, offer_id="o2", agent_id="b"),
        _head("assignment.created", t, "c1", T0 + 8.5, assignment_id="o2", agent_id="b",
              queue="general", via="offer", offer_id="o2", config_version="1"),
        _head("offer.issued", t, "c2", T0 + 30, offer_id="o3", agent_id="a", queue="vip"),
        _head("offer.expired", t, "c2", T0 + 50, offer_id="o3", agent_id="a"),
    ])
    for outcome, count in [("issued", 2), ("declined", 1), ("accepted", 1)]:
        assert _value("router_offers_total", tenant=t, queue="general", outcome=outcome) == count
    assert _value("router_offers_total", tenant=t, queue="vip", outcome="expired") == 1
    assert _value("router_items_queued_total", tenant=t, queue="vip",
                  bucket="platinum first") == 1
    assert _value("router_items_queued_total", tenant=t, queue="general", bucket="default") == 1
    # queued -> first offer only: c1 waited 4 s (its second offer does not count again)
    assert _value("router_item_to_offer_seconds_count", tenant=t, queue="general") == 1
    assert _value("router_item_to_offer_seconds_sum", tenant=t, queue="general") == 4.0
    assert _value("router_item_to_offer_seconds_sum", tenant=t, queue="vip") == 30.0
    # issued -> accepted of the accepted offer alone
    assert _value("router_time_to_accept_seconds_count", tenant=t, queue="general") == 1
    assert _value("router_time_to_accept_seconds_sum", tenant=t, queue="general") == 2.5
    assert _value("router_assignments_total", tenant=t, queue="general", via="offer") == 1
    assert len(observer.waiting) == 0 and len(observer.offers) == 0


def test_direct_assignment_counts_as_the_first_offer() -> None:
    t = "unit-outputs-2"
    observer = OutputObserver()
    observer.observe([
        _head("work_item.queued", t, "r1", T0, queue="backoffice"),
        _head("assignment.created", t, "r1", T0 + 7, assignment_id="x", agent_id="a",
              via="direct", config_version="1"),
    ])
    assert _value("router_item_to_offer_seconds_sum", tenant=t, queue="backoffice") == 7.0
    assert _value("router_assignments_total", tenant=t, queue="backoffice", via="direct") == 1


def test_contract_events_work_as_well_as_their_json() -> None:
    t = "unit-outputs-3"
    at = datetime.fromtimestamp(T0, UTC)
    queued = o.WorkItemQueued(
        id="e1", tenant=t, time=at, source="router", subject="c9",
        schema_version=SCHEMA_VERSION,
        data=o.WorkItemQueuedData(queue="general", config_version="1"))
    OutputObserver().observe([queued])
    assert _value("router_items_queued_total", tenant=t, queue="general", bucket="default") == 1


def test_an_offer_whose_issue_was_not_seen_is_counted_not_timed() -> None:
    t = "unit-outputs-4"
    OutputObserver().observe([_head("offer.accepted", t, "c1", T0, offer_id="gone", agent_id="a")])
    assert _value("router_offers_total", tenant=t, queue="unknown", outcome="accepted") == 1
    assert _value("router_time_to_accept_seconds_count", tenant=t, queue="unknown") == 0


def test_open_items_are_bounded() -> None:
    lru: Lru[str, int] = Lru(2)
    for n, key in enumerate("abc"):
        lru.put(key, n)
    assert (lru.get("a"), lru.get("b"), lru.get("c"), len(lru)) == (None, 1, 2, 2)
    with pytest.raises(ValueError, match="limit 0: must be at least 1"):
        Lru(0)
