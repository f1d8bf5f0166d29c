"""The live view: statistics kept from events, and the screen rendered from them."""

from __future__ import annotations

import math

import pytest

from router.demo.depths import parse_depths
from router.demo.stats import LiveStats, percentile
from router.demo.view import render


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 90) == 90.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0
    assert percentile([3.0], 50) == 3.0
    assert math.isnan(percentile([], 50))


def test_waits_rates_outcomes_and_computed_depths() -> None:
    stats = LiveStats("acme")
    t0 = 1000.0
    for n in range(10):
        stats.published(f"i{n}", at=t0 + n * 0.1)
    for n in range(4):
        stats.offered(f"i{n}", at=t0 + n * 0.1 + 0.05 * (n + 1))
    stats.assigned("i9", at=t0 + 1.5)  # direct mode: first contact is the assignment
    stats.offered("i0", at=t0 + 3.0)  # a second offer does not count as a wait again
    for n in range(4, 8):
        stats.queued(f"i{n}", "general" if n < 7 else "vip")
    stats.outcome("offer.accepted")
    stats.outcome("offer.declined")
    stats.outcome("offer.accepted")

    snap = stats.snapshot(now=t0 + 5.0)

    assert snap.published == 10 and snap.offers == 5 and snap.assignments == 1
    assert snap.wait_samples == 5
    assert snap.wait_p50_s == pytest.approx(0.15)
    assert snap.wait_p90_s == pytest.approx(0.6)
    assert snap.outcomes == {"offer.accepted": 2, "offer.declined": 1, "offer.expired": 0,
                             "offer.revoked": 0}
    assert snap.waiting_by_queue == {"general": 3, "vip": 1}
    assert snap.depth_source == "events seen by the demo"
    assert snap.unclassified == 1  # i8: published, not queued, not offered
    stats.finished("i4")
    assert stats.snapshot(now=t0 + 5.0).waiting_by_queue == {"general": 2, "vip": 1}


def test_worker_depths_win_over_computed_ones() -> None:
    stats = LiveStats("acme")
    stats.queued("x", "general")
    stats.metrics_depths = {"vip": 7}
    snap = stats.snapshot()
    assert snap.waiting_by_queue == {"vip": 7}
    assert snap.depth_source == "worker /metrics"


def test_depths_parsed_from_the_metrics_text_for_one_tenant() -> None:
    text = (
        "# HELP router_queue_depth Items waiting.\n"
        "# TYPE router_queue_depth gauge\n"
        'router_queue_depth{bucket="0",queue="vip",tenant="acme"} 2.0\n'
        'router_queue_depth{bucket="5",queue="vip",tenant="acme"} 3.0\n'
        'router_queue_depth{bucket="0",queue="general",tenant="acme"} 1.0\n'
        'router_queue_depth{bucket="0",queue="general",tenant="other"} 9.0\n'
    )
    assert parse_depths(text, "acme") == {"vip": 5, "general": 1}
    assert parse_depths(text, "nobody") is None
    assert parse_depths("# TYPE router_queue_depth gauge\n", "acme") is None


def test_screen_shows_every_section() -> None:
    stats = LiveStats("acme", started=0.0)
    stats.agents, stats.agents_available, stats.arrival_rate = 40, 37, 4.2
    stats.published("a", at=0.0)
    stats.offered("a", at=0.25)
    stats.queued("b", "billing_a")
    stats.outcome("offer.expired")

    screen = render(stats.snapshot(now=3725.0))

    assert "tenant acme  running 01:02:05  arrivals now 4.2/s  agents 37/40 available" in screen
    assert "items in" in screen and "total 1" in screen
    assert "p50 250 ms   p90 250 ms" not in screen  # the 60 s wait window has passed
    assert "accepted 0   declined 0   expired 1   revoked 0" in screen
    assert "queue depths (from events seen by the demo)" in screen
    assert "billing_a      1  " + "#" * 30 in screen
    recent = LiveStats("acme")
    recent.published("a", at=10.0)
    recent.offered("a", at=10.25)
    assert "p50 250 ms   p90 250 ms" in render(recent.snapshot(now=11.0))
    assert "(no queue has waiting items)" in render(LiveStats("acme").snapshot())
