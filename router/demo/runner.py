"""One demo run: connectors, agents, the subscriber and the live view, wired together.

Threads: the caller's thread publishes arrivals and redraws the view; one thread polls
the router's outputs (a confluent-kafka consumer belongs to one thread); one scheduler
thread plays the agents' timed actions. All of them stop when `stop` is set.
"""

from __future__ import annotations

import random
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

from router.client import Publisher, Subscriber
from router.config.load import load_config
from router.config.model import Tenant
from router.contract.envelope import Event
from router.demo.agents import AgentFloor
from router.demo.arrivals import Arrivals
from router.demo.depths import scrape_depths
from router.demo.population import Mix, agents_needed, make_agents, ramp_factor
from router.demo.schedule import Scheduler
from router.demo.stats import OUTCOMES, LiveStats, Snapshot
from router.demo.view import CLEAR, render
from router.settings import Settings

OUTPUT_TOPICS = ("offers", "assignments", "item-status")


@dataclass(frozen=True)
class DemoOptions:
    rate: float = 5.0
    """Peak arrivals per second (the ramp goes down to 30% of it)."""
    duration_s: float = 0.0
    agents: int = 0
    """0: as many as the peak rate needs at about 80% occupancy."""
    ramp_period_s: float = 600.0
    seed: int | None = None
    tenant: str | None = None
    refresh_s: float = 1.0


@dataclass(frozen=True)
class DemoResult:
    snapshot: Snapshot
    screen: str


def pick_tenant(settings: Settings, wanted: str | None) -> Tenant:
    config = load_config(settings.config_path)
    if wanted is None:
        return config.tenants[0]
    for tenant in config.tenants:
        if tenant.id == wanted:
            return tenant
    known = ", ".join(t.id for t in config.tenants)
    raise ValueError(f"--tenant: {wanted!r} is not in the routing configuration ({known})")


def seeded_randoms(seed: int | None) -> tuple[random.Random, random.Random]:
    """One generator for the traffic (the agents made, the arrival times, the items),
    drawn from by the publishing thread alone, and one for the agents' behaviour, drawn
    from by the follower and scheduler threads. With one shared by all three, how their
    draws interleaved (which follows the router's timing) changed the traffic too, and
    `--seed` repeated nothing."""
    traffic = random.Random(seed)
    return traffic, random.Random(traffic.getrandbits(64))


def _follow(subscriber: Subscriber, stats: LiveStats, floor: AgentFloor,
            ready: threading.Event, stop: threading.Event) -> None:
    try:
        subscriber.wait_assigned()
        ready.set()
        while not stop.is_set():
            event = subscriber.poll(0.2)
            if event is not None:
                _record(event, stats)
                floor.on_event(event)
    finally:
        subscriber.close()


def _record(event: Event[Any], stats: LiveStats) -> None:
    kind = event.type
    if kind == "offer.issued":
        stats.offered(event.subject, event.data.queue)
    elif kind == "assignment.created":
        stats.assigned(event.subject)
    elif kind in OUTCOMES:
        back = kind in ("offer.declined", "offer.expired") or (
            kind == "offer.revoked" and event.data.reason == "agent_unavailable")
        stats.outcome(kind, event.subject, back_in_queue=back)
    elif kind == "work_item.queued":
        stats.queued(event.subject, event.data.queue)
    elif kind in ("work_item.cancelled", "item.excluded", "work_item.expired"):
        stats.finished(event.subject)


def run_demo(settings: Settings, options: DemoOptions, out: TextIO = sys.stdout,
             stop: threading.Event | None = None,
             on_screen: Callable[[str], None] | None = None) -> DemoResult:
    """Run until `stop` is set or the duration is over; returns the last screen."""
    stop = stop or threading.Event()
    tenant = pick_tenant(settings, options.tenant)
    rng, agents_rng = seeded_randoms(options.seed)
    mix = Mix.of(tenant)
    run = uuid.uuid4().hex[:6]
    count = options.agents or agents_needed(tenant, mix, options.rate)
    stats = LiveStats(tenant.id)
    scheduler = Scheduler()
    publisher = Publisher.from_settings(settings, tenant=tenant.id,
                                        source=f"demo/{run}")
    floor = AgentFloor(publisher, make_agents(tenant, count, rng, prefix=f"demo-{run}"),
                       stats, scheduler, agents_rng)
    subscriber = Subscriber.from_settings(settings, tenant=tenant.id, topics=OUTPUT_TOPICS)
    ready = threading.Event()
    follower = threading.Thread(target=_follow, name="demo-follower", daemon=True,
                                args=(subscriber, stats, floor, ready, stop))
    follower.start()
    tty = out.isatty()
    print(f"demo: waiting for the output topics ({settings.topic_prefix}*) ...", file=out,
          flush=True)
    while not ready.wait(0.2):
        if stop.is_set() or not follower.is_alive():
            asked = stop.is_set()
            stop.set()
            subscriber.stop()  # ends its wait for partitions
            follower.join(10)
            publisher.close(10)
            if asked:  # Ctrl-C while starting: no agent registered, nothing to undo
                snapshot = stats.snapshot()
                return DemoResult(snapshot, render(snapshot))
            raise RuntimeError("the output subscriber stopped before it was assigned "
                               "(is Kafka reachable at ROUTER_KAFKA_BOOTSTRAP?)")
    stats.begin()
    scheduler.start()
    floor.register_all()
    floor.start_breaks()
    arrivals = Arrivals(options.rate,
                        lambda t: ramp_factor(t, options.ramp_period_s), rng)
    started = time.monotonic()
    next_arrival = started + arrivals.next()
    next_screen = started
    serial = 0
    screen = ""
    try:
        while not stop.is_set():
            now = time.monotonic()
            if options.duration_s and now - started >= options.duration_s:
                break
            while next_arrival <= now:
                draft = mix.draw(rng)
                item_id = f"demo-{run}-{serial:07d}"
                serial += 1
                floor.channel_of[item_id] = draft.channel
                stats.published(item_id)
                publisher.create_item(item_id, draft.workstream, attributes=draft.attributes,
                                      priority=draft.priority)
                next_arrival = started + arrivals.next()
            if now >= next_screen:
                stats.arrival_rate = arrivals.rate_at(now - started)
                stats.metrics_depths = scrape_depths(settings.http_address, tenant.id)
                screen = render(stats.snapshot())
                out.write((CLEAR + screen) if tty else screen + "\n")
                out.flush()
                if on_screen is not None:
                    on_screen(screen)
                next_screen += options.refresh_s
            stop.wait(max(0.0, min(next_arrival, next_screen) - time.monotonic()))
    finally:
        floor.sign_off()
        stop.set()
        scheduler.stop()
        follower.join(10)
        publisher.close(10)
    snapshot = stats.snapshot()
    return DemoResult(snapshot, render(snapshot))
