#!/usr/bin/env python3
"""A chat connector: publishes chat conversations to the router as work items.

Stands in for the integration a real messaging platform would have: each new
conversation becomes a `work_item.created` on the chat workstream, with the attributes
the sample routing configuration classifies on (language, topic, vip, product). Some
customers give up while waiting (`--abandon`), which the connector reports as a cancel.

    .venv/bin/python examples/chat_connector.py --rate 5 --count 100

Kafka address and topic prefix come from ROUTER_KAFKA_BOOTSTRAP and ROUTER_TOPIC_PREFIX
(or the options); the tenant from --tenant or ROUTER_TENANT.
"""

from __future__ import annotations

import argparse
import heapq
import random
import signal
import sys
import threading
import time
import uuid
from typing import Any

from connection import connection_parser  # examples/connection.py

from router.client import Delivery, DeliveryError, InvalidEvent, Publisher


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = connection_parser(
        description="Publish chat work items to the router at a steady rate.",
        epilog="Ctrl-C stops after flushing what was sent.",
    )
    parser.add_argument("--workstream", default="chat", help="workstream (default: %(default)s)")
    parser.add_argument(
        "--rate",
        type=float,
        default=2.0,
        help="new conversations per second (default: %(default)s)",
    )
    parser.add_argument(
        "--count",
        type=int,
        default=0,
        help="stop after this many conversations and the cancels still due for them "
        "(default: 0, run until Ctrl-C)",
    )
    parser.add_argument(
        "--abandon",
        type=float,
        default=0.0,
        metavar="FRACTION",
        help="fraction of customers who leave after --patience seconds, "
        "reported as work_item.cancelled (default: 0)",
    )
    parser.add_argument(
        "--patience",
        type=float,
        default=30.0,
        help="seconds an abandoning customer waits (default: %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=None, help="random seed, for repeatable runs")
    args = parser.parse_args(argv)
    if args.rate <= 0:
        parser.error("--rate: must be greater than 0")
    if args.count < 0:
        parser.error("--count: must be 0 (no limit) or more")
    if not 0.0 <= args.abandon <= 1.0:
        parser.error("--abandon: must be between 0 and 1")
    return args


def conversation(rng: random.Random) -> dict[str, Any]:
    """Attributes in the proportions a European web chat might see."""
    return {
        "language": rng.choices(["en", "fr", "de"], weights=[60, 25, 15])[0],
        "topic": rng.choices(["billing", "invoice", "delivery", "other"], weights=[20, 5, 35, 40])[
            0
        ],
        "vip": rng.random() < 0.05,
        "product": rng.choice(["router-pro", "router-lite"]),
    }


class Tally:
    """Delivery outcomes, counted from the futures' callbacks (any thread)."""

    def __init__(self) -> None:
        self.delivered = 0
        self.failed = 0
        self._lock = threading.Lock()  # callbacks run on the report thread or in close()

    def watch(self, delivery: Delivery) -> None:
        delivery.add_done_callback(self._done)

    def _done(self, delivery: Delivery) -> None:
        error = delivery.exception()
        with self._lock:
            if error is None:
                self.delivered += 1
            else:
                self.failed += 1
        if error is not None:
            print(f"delivery failed: {error}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rng = random.Random(args.seed)
    run = uuid.uuid4().hex[:6]
    stop = False

    def on_signal(_sig: int, _frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    tally = Tally()
    abandons: list[tuple[float, str]] = []
    sent = cancelled = 0
    print(
        f"chat connector: tenant {args.tenant}, {args.rate}/s to "
        f"{args.topic_prefix}work-items on {args.bootstrap}",
        flush=True,
    )
    with Publisher(
        args.bootstrap,
        tenant=args.tenant,
        topic_prefix=args.topic_prefix,
        source=f"connector/chat-{run}",
    ) as publisher:
        start = time.monotonic()
        last_report = start
        # With --count, the run ends once every conversation is sent and every customer
        # due to abandon has done so (up to --patience after the last one).
        while not stop and (args.count == 0 or sent < args.count or abandons):
            due = start + sent / args.rate
            now = time.monotonic()
            while abandons and abandons[0][0] <= now:
                _at, item_id = heapq.heappop(abandons)
                tally.watch(publisher.cancel_item(item_id, reason="customer left"))
                cancelled += 1
            if args.count and sent >= args.count:
                if abandons:
                    time.sleep(min(max(abandons[0][0] - now, 0.0), 0.2))
                continue
            if now < due:
                time.sleep(min(due - now, 0.2))
                continue
            item_id = f"chat-{run}-{sent:06d}"
            try:
                tally.watch(
                    publisher.create_item(
                        item_id, args.workstream, channel="web-chat", attributes=conversation(rng)
                    )
                )
            except InvalidEvent as exc:
                print(f"not sent: {exc}", file=sys.stderr)
                return 2
            sent += 1
            if rng.random() < args.abandon:
                heapq.heappush(abandons, (now + args.patience, item_id))
            if now - last_report >= 1.0:
                last_report = now
                print(
                    f"sent {sent}  delivered {tally.delivered}  failed {tally.failed}  "
                    f"cancelled {cancelled}",
                    flush=True,
                )
        left = publisher.flush(30)
    print(
        f"done: sent {sent}, delivered {tally.delivered}, failed {tally.failed}, "
        f"cancelled {cancelled}, undelivered {left}",
        flush=True,
    )
    return 0 if tally.failed == 0 and left == 0 else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except DeliveryError as exc:
        sys.exit(f"chat connector: {exc}")
