"""CPU per item: /proc parsing (a process, the machine), the per-phase division, and a
Redis that cannot answer."""

from __future__ import annotations

import math
import os
from pathlib import Path

import redis

from router.bench.cpu import (
    children_cpu_s,
    machine_cpu_s,
    per_item,
    process_cpu_s,
    redis_cpu_s,
)


def test_process_cpu_counts_user_and_system_time_past_an_awkward_command_name(
    tmp_path: Path,
) -> None:
    ticks = os.sysconf("SC_CLK_TCK")
    fields = ["S", *["0"] * 10, str(3 * ticks), str(ticks), *["0"] * 30]
    (tmp_path / "42").mkdir()
    (tmp_path / "42" / "stat").write_text(f"42 (python (x) y) {' '.join(fields)}\n")
    assert process_cpu_s(42, tmp_path) == 4.0
    assert math.isnan(process_cpu_s(43, tmp_path))
    assert process_cpu_s(os.getpid()) > 0  # this very test process, where /proc exists


def test_children_cpu_adds_up_the_processes_whose_parent_is_the_worker(tmp_path: Path) -> None:
    ticks = os.sysconf("SC_CLK_TCK")

    def process(pid: int, parent: int, seconds: int) -> None:
        fields = ["S", str(parent), *["0"] * 9, str(seconds * ticks), "0", *["0"] * 30]
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "stat").write_text(f"{pid} (a (b)) {' '.join(fields)}\n")

    process(42, 1, 5)  # the worker
    process(50, 42, 2)  # its relay
    process(51, 42, 1)
    process(60, 7, 9)  # someone else's
    assert children_cpu_s(42, tmp_path) == 3.0
    assert children_cpu_s(50, tmp_path) == 0.0


def test_cpu_per_item_over_a_phase() -> None:
    before = {"worker": 10.0, "Redis": 2.0}
    after = {"worker": 10.5, "Redis": 2.2}
    shares = dict(per_item(before, after, 1000))
    assert math.isclose(shares["worker"], 0.0005) and math.isclose(shares["Redis"], 0.0002)
    assert all(math.isnan(value) for _, value in per_item(before, after, 0))


def test_a_redis_that_does_not_answer_gives_no_figure() -> None:
    client = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    try:
        assert all(math.isnan(value) for value in redis_cpu_s(client))
    finally:
        client.close()


def test_machine_cpu_counts_busy_and_stolen_ticks_of_all_cores(tmp_path: Path) -> None:
    ticks = os.sysconf("SC_CLK_TCK")
    # user nice system idle iowait irq softirq steal guest guest_nice
    columns = [5, 1, 2, 90, 7, 1, 1, 3, 4, 0]
    (tmp_path / "stat").write_text(
        "cpu  " + " ".join(str(n * ticks) for n in columns) + "\ncpu0 1 2 3\n")
    assert machine_cpu_s(tmp_path) == (10.0, 3.0)  # idle, iowait and guest left out
    assert all(math.isnan(value) for value in machine_cpu_s(tmp_path / "none"))
    busy, stolen = machine_cpu_s()  # this machine's own
    assert busy > 0 and stolen >= 0
