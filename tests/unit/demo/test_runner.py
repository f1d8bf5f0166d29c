"""The demo's start-up: Ctrl-C while it waits for Kafka ends it quietly; a seed repeats
the traffic."""

from __future__ import annotations

import dataclasses
import io
import threading
import time

from router.demo.arrivals import Arrivals
from router.demo.population import ItemDraft, Mix, ramp_factor
from router.demo.runner import DemoOptions, pick_tenant, run_demo, seeded_randoms
from router.settings import Settings


def test_a_stop_while_waiting_for_the_topics_ends_the_demo_without_an_error() -> None:
    # Nothing listens on port 1: the subscriber is never assigned, as when Kafka is slow.
    settings = dataclasses.replace(Settings(), kafka_bootstrap="127.0.0.1:1")
    # (librdkafka logs each refused connection on stderr meanwhile)
    stop = threading.Event()
    threading.Timer(0.5, stop.set).start()  # Ctrl-C half a second in
    started = time.monotonic()
    result = run_demo(settings, DemoOptions(rate=1.0, duration_s=5.0), out=io.StringIO(),
                      stop=stop)
    assert result.snapshot.published == 0
    assert time.monotonic() - started < 8  # not held by the subscriber's wait


def _traffic(seed: int, agent_draws_between: int) -> list[tuple[float, ItemDraft]]:
    """The first arrivals and items of a run, with the agents' threads drawing from their
    own generator meanwhile as often as the router's timing makes them."""
    traffic, agents = seeded_randoms(seed)
    mix = Mix.of(pick_tenant(Settings(), None))
    arrivals = Arrivals(5.0, lambda t: ramp_factor(t, 60), traffic)
    drawn = []
    for _ in range(200):
        for _ in range(agent_draws_between):
            agents.random()
        drawn.append((arrivals.next(), mix.draw(traffic)))
    return drawn


def test_a_seed_repeats_the_traffic_whatever_the_agents_draw_meanwhile() -> None:
    assert _traffic(7, 0) == _traffic(7, 3)
    assert _traffic(7, 0) != _traffic(8, 0)
    unseeded_a, unseeded_b = seeded_randoms(None), seeded_randoms(None)
    assert unseeded_a[0].random() != unseeded_b[0].random()
