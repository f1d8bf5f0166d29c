"""CPU time the worker, its relay and Redis spend per routed item, phase by phase.

Why: on a shared machine wall-clock figures swing with whatever else runs (bare Kafka
alone varied threefold between runs of one day here), while the CPU the router's own
processes spend per item moves much less. It is the figure that compares two versions
of the code measured at different times.

The worker's figure leaves out its outbox relay, a process of its own, counted beside
it. Beside those, three figures that say what a run's other figures mean:
Redis's forks (AOF rewrites and snapshots, which Redis's own figure leaves out), the
whole machine's busy CPU (the broker and the benchmark's clients included: the cores
divided by it are the rate at which the machine would run out of CPU), and the CPU the
hypervisor took away (steal: high on a day when every wall-clock figure is slow).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from pathlib import Path

import redis

from router.bench.latency import Phase

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


def children_cpu_s(pid: int, proc: Path = Path("/proc")) -> float:
    """CPU seconds of a process's running children (the worker's relay process)."""
    total = 0.0
    for stat in proc.glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if int(text[text.rindex(")") + 2:].split()[1]) == pid:  # field 4, the parent
            total += process_cpu_s(int(stat.parent.name), proc)
    return total


def redis_cpu_s(client: redis.Redis) -> tuple[float, float]:
    """Redis's own account of its CPU seconds: its threads', and its finished forks'."""
    try:
        info = client.info("cpu")
    except redis.RedisError:
        return float("nan"), float("nan")
    return (float(info["used_cpu_user"]) + float(info["used_cpu_sys"]),
            float(info["used_cpu_user_children"]) + float(info["used_cpu_sys_children"]))


def machine_cpu_s(proc: Path = Path("/proc")) -> tuple[float, float]:
    """CPU seconds of all cores: busy (user, nice, system, interrupts; guests are in user)
    and stolen by the hypervisor; NaN where /proc is not there."""
    try:
        first = (proc / "stat").read_text().split("\n", 1)[0].split()
    except OSError:
        return float("nan"), float("nan")
    if first[0] != "cpu":
        return float("nan"), float("nan")
    ticks = [int(value) for value in first[1:9]]
    ticks += [0] * (8 - len(ticks))  # an old kernel without the later columns
    user, nice, system, _idle, _iowait, irq, softirq, steal = ticks
    tick = os.sysconf("SC_CLK_TCK")
    return (user + nice + system + irq + softirq) / tick, steal / tick


def machine_meter() -> dict[str, float]:
    """The whole machine's figures alone: what the bare Kafka phases are measured with,
    so the router's machine CPU per item has the broker's and the clients' own beside it."""
    busy, stolen = machine_cpu_s()
    return {"machine": busy, "stolen": stolen}


def meter(worker_pid: int, client: redis.Redis) -> Meter:
    def read() -> dict[str, float]:
        own, forks = redis_cpu_s(client)
        return {"worker": process_cpu_s(worker_pid), "relay": children_cpu_s(worker_pid),
                "Redis": own, "Redis forks": forks, **machine_meter()}

    return read


def per_item(before: Mapping[str, float], after: Mapping[str, float],
             items: int) -> tuple[tuple[str, float], ...]:
    """(process, CPU seconds per item) over a phase; NaN where nothing was routed."""
    return tuple((name, (after[name] - before[name]) / items if items else float("nan"))
                 for name in before if name in after)


def start_phase(cpu: Meter | None) -> Callable[[Phase], Phase]:
    """Reads `cpu` as a phase begins; the function returned gives the phase, once it
    ended, its CPU per item received (the phase unchanged without a meter)."""
    if cpu is None:
        return lambda phase: phase
    before = cpu()

    def finish(phase: Phase) -> Phase:
        return dataclasses.replace(
            phase, cpu_per_item_s=per_item(before, cpu(), phase.received))

    return finish
