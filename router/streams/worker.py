"""Runs the Faust application as a worker process."""

from __future__ import annotations

import faust

from router.settings import Settings
from router.streams.app import build_app


def run_worker(settings: Settings, loglevel: str = "info") -> None:
    """Blocks until SIGTERM or SIGINT; Faust finishes the event in hand and commits first."""
    app = build_app(settings)
    worker = faust.Worker(app, loglevel=loglevel, quiet=True)
    worker.execute_from_commandline()
