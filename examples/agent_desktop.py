#!/usr/bin/env python3
"""An agent desktop: registers an agent, goes available, and works the offers it gets.

What a real desktop does, with the human replaced by timers: accept each offer (or
decline a fraction of them), complete the work after a handle time, close it after a
wrap-up time. Prints every decision the router makes for this agent.

    .venv/bin/python examples/agent_desktop.py --agent ana --skills en=5,fr=4

Kafka address and topic prefix come from ROUTER_KAFKA_BOOTSTRAP and ROUTER_TOPIC_PREFIX
(or the options); the tenant from --tenant or ROUTER_TENANT.
"""

from __future__ import annotations

import argparse
import contextlib
import heapq
import os
import random
import signal
import sys
import time
from collections.abc import Callable
from typing import Any

from connection import connection_parser  # examples/connection.py

from router.client import DeliveryError, Publisher, Subscriber, SubscriberError
from router.contract.envelope import Event
from router.contract.outputs import OfferIssued

SAMPLE_QUEUES = "general,billing_a,billing_b,languages,vip,voice_general,escalations,backoffice"


def pairs(text: str) -> dict[str, int]:
    """`en=5,fr=4` -> {"en": 5, "fr": 4}."""
    result: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        if not sep or not name:
            raise argparse.ArgumentTypeError(f"{part!r}: expected name=number")
        try:
            result[name] = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{part!r}: {value!r} is not a whole number") from None
    return result


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = connection_parser(
        description="Simulated agent desktop: register, go available, accept offers, "
        "complete and close work after a handle time.",
        epilog="Ctrl-C sets the agent offline, completes and closes the items it holds, and exits.",
    )
    parser.add_argument(
        "--agent", default=f"agent-{os.getpid()}", help="agent id (default: agent-<pid>)"
    )
    parser.add_argument(
        "--queues",
        default=SAMPLE_QUEUES,
        help="comma-separated queue ids (default: every queue of the sample)",
    )
    parser.add_argument(
        "--skills",
        type=pairs,
        default=pairs("en=5,fr=5,de=5,billing=5"),
        help="skill=proficiency pairs (default: en=5,fr=5,de=5,billing=5)",
    )
    parser.add_argument(
        "--units", type=int, default=100, help="capacity units (default: %(default)s)"
    )
    parser.add_argument(
        "--profiles",
        type=pairs,
        default=pairs("chat=3,call=1,case=5"),
        help="capacity profile limits (default: chat=3,call=1,case=5)",
    )
    parser.add_argument(
        "--handle-time",
        type=float,
        default=20.0,
        help="mean seconds from assignment to completion, exponentially "
        "distributed (default: %(default)s)",
    )
    parser.add_argument(
        "--wrap-up",
        type=float,
        default=5.0,
        help="seconds from completion to close (default: %(default)s)",
    )
    parser.add_argument(
        "--decline",
        type=float,
        default=0.0,
        metavar="FRACTION",
        help="fraction of offers declined (default: 0)",
    )
    parser.add_argument(
        "--max-items",
        type=int,
        default=0,
        help="exit after closing this many items (default: 0, run until Ctrl-C)",
    )
    parser.add_argument("--seed", type=int, default=None, help="random seed, for repeatable runs")
    args = parser.parse_args(argv)
    args.queues = [q.strip() for q in args.queues.split(",") if q.strip()]
    if args.handle_time < 0 or args.wrap_up < 0:
        parser.error("--handle-time and --wrap-up: must be 0 or more")
    if not 0.0 <= args.decline <= 1.0:
        parser.error("--decline: must be between 0 and 1")
    return args


class Timers:
    """Actions due later (complete, close), run from the desktop's one loop."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Callable[[], Any]]] = []
        self._n = 0

    def after(self, seconds: float, action: Callable[[], Any]) -> None:
        self._n += 1
        heapq.heappush(self._heap, (time.monotonic() + seconds, self._n, action))

    def run_due(self) -> None:
        now = time.monotonic()
        while self._heap and self._heap[0][0] <= now:
            heapq.heappop(self._heap)[2]()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rng = random.Random(args.seed)
    closed = 0

    def say(text: str) -> None:
        print(f"{time.strftime('%H:%M:%S')} {args.agent}: {text}", flush=True)

    publisher = Publisher(
        args.bootstrap,
        tenant=args.tenant,
        topic_prefix=args.topic_prefix,
        source=f"desktop/{args.agent}",
    )
    subscriber = Subscriber(
        args.bootstrap, tenant=args.tenant, agents={args.agent}, topic_prefix=args.topic_prefix
    )
    signal.signal(signal.SIGINT, lambda _s, _f: subscriber.stop())
    signal.signal(signal.SIGTERM, lambda _s, _f: subscriber.stop())
    timers = Timers()
    in_hand: dict[str, bool] = {}  # assigned item -> completed already
    available = False

    def close_item(item: str) -> None:
        nonlocal closed
        if item not in in_hand:  # closed on the way out already
            return
        publisher.close_item(item).result(30)
        del in_hand[item]
        closed += 1
        say(f"closed {item} ({closed} so far)")
        if args.max_items and closed >= args.max_items:
            subscriber.stop()

    def complete_item(item: str) -> None:
        if item not in in_hand:
            return
        publisher.complete_item(item).result(30)
        in_hand[item] = True
        say(f"completed {item}")
        timers.after(args.wrap_up, lambda: close_item(item))

    def on_event(event: Event[Any]) -> None:
        if isinstance(event, OfferIssued):
            # Said once Kafka has the answer: an answer that fails to send raises here
            # rather than leaving the offer to expire unnoticed.
            if rng.random() < args.decline:
                publisher.decline(event, "not now").result(30)
                say(f"declined offer for {event.subject} (queue {event.data.queue})")
            else:
                publisher.accept(event).result(30)
                say(f"accepted offer for {event.subject} (queue {event.data.queue})")
        elif event.type == "assignment.created":
            handle = rng.expovariate(1 / args.handle_time) if args.handle_time else 0.0
            in_hand[event.subject] = False
            say(f"assigned {event.subject}; handling for {handle:.1f}s")
            timers.after(handle, lambda: complete_item(event.subject))
        else:
            say(f"{event.type} for {event.subject}")

    try:
        subscriber.wait_assigned()
        if subscriber.stopping:  # Ctrl-C while starting: never went available
            return 0
        publisher.register_agent(
            args.agent,
            units=args.units,
            profiles=args.profiles,
            skills=args.skills,
            queues=args.queues,
            presence="offline",
        ).result(30)
        publisher.set_presence(args.agent, "available").result(30)
        available = True
        say(f"available in {', '.join(args.queues)} (tenant {args.tenant})")
        while not subscriber.stopping:
            event = subscriber.poll(0.1)
            if event is not None:
                on_event(event)
            timers.run_due()
        # Signing out: offline first (no new offers), then what is still in hand is
        # wrapped up, so no item stays assigned to an agent who left.
        publisher.set_presence(args.agent, "offline").result(30)
        available = False
        for item, completed in list(in_hand.items()):
            if not completed:
                publisher.complete_item(item).result(30)
            publisher.close_item(item).result(30)
            del in_hand[item]
            say(f"closed {item} on the way out")
        say("offline")
    finally:
        if available:  # stopped by an error: try not to leave the agent available
            with contextlib.suppress(Exception):
                publisher.set_presence(args.agent, "offline").result(5)
        subscriber.close()
        publisher.close()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (DeliveryError, SubscriberError) as exc:  # one line, not a traceback
        sys.exit(f"agent desktop: {exc}")
