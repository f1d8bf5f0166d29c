"""The worker's health and metrics endpoints answer while it runs, it stops on SIGTERM,
and its outbox relay process ends with it however it ends."""

from __future__ import annotations

import signal
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.conftest import WorkerProcess


def _relay_pids(worker_pid: int) -> list[int]:
    """The worker's relay processes, from /proc (parent pid and command line)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == worker_pid and b"router.streams.relay_child" in cmdline:
            found.append(int(stat.parent.name))
    return found


def _ended(pid: int, timeout_s: float = 30.0) -> bool:
    """Gone, or a zombie nobody reaped yet (an orphan's new parent may never reap)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state == "Z":
            return True
        time.sleep(0.1)
    return False


def test_liveness_readiness_and_metrics_answer(
    start_worker: Callable[[], WorkerProcess],
) -> None:
    worker = start_worker()
    assert worker.get("/livez") == (200, "ok\n")
    assert worker.get("/readyz") == (200, "ready\n")
    status, body = worker.get("/metrics")
    assert status == 200
    assert "python_info" in body
    # The worker's families and its relay process's, each once: one valid exposition.
    names = Counter(family.name for family in text_string_to_metric_families(body))
    assert [name for name, count in names.items() if count > 1] == []
    assert {"router_dead_letters", "process_cpu_seconds"} <= set(names)  # the worker's
    assert {"router_offers", "router_item_to_offer_seconds"} <= set(names)  # the relay's


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_the_worker_s_relay_process_ends_with_it(
    start_worker: Callable[[], WorkerProcess], sig: signal.Signals,
) -> None:
    """SIGTERM stops both cleanly; a worker killed outright ends its relay through the
    relay's stdin."""
    worker = start_worker()
    relays = _relay_pids(worker.process.pid)
    assert len(relays) == 1
    code = worker.stop(sig)
    assert _ended(relays[0])
    if sig == signal.SIGTERM:
        assert code == 0
