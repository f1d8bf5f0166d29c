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
        stats.offered(f"i{n}", "general", at=t0 + n * 0.1 + 0.05 * (n + 1))
    stats.assigned("i9", at=t0 + 1.5)  # direct mode: first contact is the assignment
    stats.offered("i0", "general", at=t0 + 3.0)  # a second offer does not count as a wait again
    for n in range(4, 8):
        stats.queued(f"i{n}", "general" if n < 7 else "vip")
    stats.outcome("offer.accepted", "i0", back_in_queue=False)
    stats.outcome("offer.declined", "i1", back_in_queue=True)  # i1 waits in general again
    stats.outcome("offer.accepted", "i2", back_in_queue=False)

    snap = stats.snapshot(now=t0 + 5.0)

    assert snap.published == 10 and snap.offers == 5 and snap.assignments == 1
    assert snap.wait_samples == 5
    assert snap.wait_p50_s == pytest.approx(0.15)
    assert snap.wait_p90_s == pytest.approx(0.6)
    assert snap.outcomes == {"offer.accepted": 2, "offer.declined": 1, "offer.expired": 0,
                             "offer.revoked": 0}
    assert snap.waiting_by_queue == {"general": 4, "vip": 1}
    assert snap.depth_source == "events seen by the demo"
    assert snap.unclassified == 1  # i8: published, not queued, not offered
    stats.finished("i4")
    assert stats.snapshot(now=t0 + 5.0).waiting_by_queue == {"general": 3, "vip": 1}


def test_an_item_whose_offer_fails_counts_as_waiting_again_until_offered_or_finished() -> None:
    stats = LiveStats("acme", started=0.0)
    for item in ("declined", "expired", "revoked", "accepted", "cancelled"):
        stats.published(item, at=0.0)
        stats.queued(item, "general")
        stats.offered(item, "vip", at=0.5)  # offered from the queue it was moved to
    assert stats.snapshot(now=1.0).waiting_by_queue == {}
    for item in ("declined", "expired", "revoked"):
        stats.outcome(f"offer.{item}", item, back_in_queue=True)
    stats.outcome("offer.accepted", "accepted", back_in_queue=False)
    stats.assigned("accepted", at=1.0)
    stats.outcome("offer.revoked", "cancelled", back_in_queue=False)  # item_cancelled
    stats.finished("cancelled")
    assert stats.snapshot(now=2.0).waiting_by_queue == {"vip": 3}
    stats.offered("declined", "vip", at=2.0)  # the next agent's offer
    stats.finished("revoked")
    assert stats.snapshot(now=3.0).waiting_by_queue == {"vip": 1}


def test_rates_count_from_the_start_of_the_traffic() -> None:
    stats = LiveStats("acme", started=0.0)  # then 8 s waiting for the topics
    stats.begin(at=8.0)
    for n in range(10):
        stats.published(f"i{n}", at=8.0 + n * 0.1)
    snap = stats.snapshot(now=10.0)
    assert snap.in_rate == pytest.approx(5.0)  # 10 items in 2 s, not in 10 s
    assert snap.elapsed_s == pytest.approx(2.0)


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
    stats.offered("a", "billing_a", at=0.25)
    stats.queued("b", "billing_a")
    stats.outcome("offer.expired", "x", back_in_queue=True)

    screen = render(stats.snapshot(now=3725.0))

    assert "tenant acme  running 01:02:05  arrivals now 4.2/s  agents 37/40 available" in screen
    assert "items in" in screen and "total 1" in screen
    assert "p50 250 ms   p90 250 ms" not in screen  # the 60 s wait window has passed
    assert "accepted 0   declined 0   expired 1   revoked 0" in screen
    assert "queue depths (from events seen by the demo)" in screen
    assert "billing_a      1  " + "#" * 30 in screen
    recent = LiveStats("acme")
    recent.published("a", at=10.0)
    recent.offered("a", "general", at=10.25)
    assert "p50 250 ms   p90 250 ms" in render(recent.snapshot(now=11.0))
    assert "(no queue has waiting items)" in render(LiveStats("acme").snapshot())
