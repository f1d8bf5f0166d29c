"""Times routing cycles by what triggered them, for ``router_cycle_seconds``.

Why a context manager the service wraps around its three entry points (item arrived,
agent freed, periodic sweep) rather than timing inside the core: the cycle includes the
Redis reads and the commit, which is where the time goes under load.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal, ParamSpec, TypeVar

from router.observability.metrics import CYCLE_SECONDS, series

Trigger = Literal["item", "agent", "sweep"]
TRIGGERS: tuple[Trigger, ...] = ("item", "agent", "sweep")


def _histogram(trigger: Trigger) -> Any:
    """The trigger's series of ``router_cycle_seconds``; refuses an unknown trigger."""
    if trigger not in TRIGGERS:
        raise ValueError(f"trigger {trigger!r}: must be one of {', '.join(TRIGGERS)}")
    return series(CYCLE_SECONDS, trigger)


@contextmanager
def timed_cycle(trigger: Trigger) -> Iterator[None]:
    histogram = _histogram(trigger)
    started = time.perf_counter()
    try:
        yield
    finally:
        histogram.observe(time.perf_counter() - started)


P = ParamSpec("P")
R = TypeVar("R")


def timed(trigger: Trigger) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """``timed_cycle`` as a decorator of an async method (``Cycles.offer_item`` ...)."""
    histogram = _histogram(trigger)

    def wrap(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        # Not through timed_cycle: its generator, entered and left per call, cost more
        # than the observation itself on the item path.
        @functools.wraps(fn)
        async def inner(*args: P.args, **kwargs: P.kwargs) -> R:
            started = time.perf_counter()
            try:
                return await fn(*args, **kwargs)
            finally:
                histogram.observe(time.perf_counter() - started)

        return inner

    return wrap
