"""The measured messages and how they are paced.

Router and baseline send the same bytes: a real `work_item.created` of the chat
workstream (English, not billing, so it routes to the sample's `general` queue), built
by the client SDK so it is exactly what a connector sends. Router and baseline subjects
differ in their first letters only ("rout-max-000001", "bare-max-000001"), which keeps
the sizes identical.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from router.client import Events

WORKSTREAM = "chat"
ATTRIBUTES = {"language": "en", "topic": "delivery", "vip": False, "product": "router-pro",
              "customer": "c-0000000000", "channel_detail": "web-widget"}


def item_payload(events: Events, item_id: str) -> tuple[bytes, bytes]:
    """(key, value) of a work_item.created for `item_id`."""
    event = events.create_item(item_id, WORKSTREAM, attributes=ATTRIBUTES, priority=5)
    return event.key, events.check(event)


def paced(count: int, rate: float | None, send: Callable[[int], None],
          stop: Callable[[], bool] = lambda: False) -> None:
    """Call `send(n)` for n in 0..count-1 at `rate` per second (None: as fast as possible).

    Each send is due at start + n/rate on the monotonic clock; a late sender catches up
    without sleeping, so the mean rate holds even when the scheduler is jittery.
    """
    start = time.perf_counter()
    for n in range(count):
        if stop():
            return
        if rate is not None:
            delay = start + n / rate - time.perf_counter()
            if delay > 0.0005:
                time.sleep(delay)
        send(n)
