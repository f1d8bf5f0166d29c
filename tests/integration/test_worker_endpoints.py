"""The worker's health and metrics endpoints answer while it runs, and it stops on SIGTERM."""

from __future__ import annotations

import signal
from collections.abc import Callable

from tests.integration.conftest import WorkerProcess


def test_liveness_readiness_and_metrics_answer(
    start_worker: Callable[[], WorkerProcess],
) -> None:
    worker = start_worker()
    assert worker.get("/livez") == (200, "ok\n")
    assert worker.get("/readyz") == (200, "ready\n")
    status, body = worker.get("/metrics")
    assert status == 200
    assert "python_info" in body


def test_sigterm_stops_the_worker_cleanly(start_worker: Callable[[], WorkerProcess]) -> None:
    worker = start_worker()
    assert worker.stop(signal.SIGTERM) == 0
