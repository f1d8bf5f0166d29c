"""Progress lines while the benchmark waits, so a long run never looks hung."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

ProgressFn = Callable[[str], None]


def to_stderr(line: str) -> None:
    print(f"bench: {line}", file=sys.stderr, flush=True)


def wait_for(count: Callable[[], int], total: int, wait_s: float, name: str,
             progress: ProgressFn, stall_s: float = 20.0) -> int:
    """Wait until `count()` reaches `total`, `wait_s` passes, or nothing moves for
    `stall_s`; report progress about once a second. Returns the last count."""
    deadline = time.monotonic() + wait_s
    last, last_change, last_report = -1, time.monotonic(), time.monotonic()
    while True:
        now = time.monotonic()
        done = count()
        if done != last:
            last, last_change = done, now
        if done >= total or now > deadline or now - last_change > stall_s:
            return done
        if now - last_report >= 1.0:
            progress(f"{name}: {done}/{total} received")
            last_report = now
        time.sleep(0.05)
