"""CPU time the worker and Redis spend per routed item, phase by phase.

Why: on a shared machine wall-clock figures swing with whatever else runs (bare Kafka
alone varied threefold between runs of one day here), while the CPU the router's own
processes spend per item moves much less. It is the figure that compares two versions
of the code measured at different times.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

import redis

Meter = Callable[[], Mapping[str, float]]
"""Cumulative CPU seconds so far, by process name."""


def process_cpu_s(pid: int, proc: Path = Path("/proc")) -> float:
    """User plus system CPU seconds of a Linux process (NaN where /proc is not there)."""
    try:
        text = (proc / str(pid) / "stat").read_text()
    except OSError:
        return float("nan")
    # The command name (field 2) may hold spaces and parentheses: count after its end.
    fields = text[text.rindex(")") + 2:].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of stat(5)
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


def redis_cpu_s(client: redis.Redis) -> float:
    """Redis's own account of its CPU seconds (all its threads)."""
    try:
        info = client.info("cpu")
    except redis.RedisError:
        return float("nan")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def meter(worker_pid: int, client: redis.Redis) -> Meter:
    return lambda: {"worker": process_cpu_s(worker_pid), "Redis": redis_cpu_s(client)}


def per_item(before: Mapping[str, float], after: Mapping[str, float],
             items: int) -> tuple[tuple[str, float], ...]:
    """(process, CPU seconds per item) over a phase; NaN where nothing was routed."""
    return tuple((name, (after[name] - before[name]) / items if items else float("nan"))
                 for name in before if name in after)
