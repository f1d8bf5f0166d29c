"""Garbage-collector settings for the router's long-lived processes (the worker and its
outbox relay process).

GC_THRESHOLDS: Python's default (700, 10, 10) ran a full collection every second or two
under load, 50 to 150 ms each with the event loop stopped, scanning over 100k objects
and finding no garbage. Measured in one session at 1,000 items/s for 20 s, default
against these: longest collection 146 ms -> 24 ms, p99 152 -> 110 ms, sustained 2,080
-> 2,577 items/s. Cyclic garbage waits longer; what remains are young collections of a
few ms.
"""

from __future__ import annotations

import gc

GC_THRESHOLDS = (20_000, 20, 20)


def quiet_gc() -> None:
    """What start-up built (Faust, the config, the modules) lives as long as the process:
    frozen, full collections no longer scan it."""
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
