"""Runs the Faust application as a worker process."""

from __future__ import annotations

import logging

import faust

from router.settings import Settings
from router.streams.app import build_app
from router.streams.quiet_gc import quiet_gc


class _Worker(faust.Worker):
    async def on_startup_finished(self) -> None:
        await super().on_startup_finished()
        quiet_gc()

    def _setup_spinner_handler(self, logger: logging.Logger, level: int) -> None:
        """Faust's console spinner sets the root logger to DEBUG, so every library debug
        call (aiokafka logs each produce request) builds a record that the handler then
        drops: several percent of the worker's time. The spinner is cosmetic; skip it."""


def run_worker(settings: Settings, loglevel: str = "info") -> None:
    """Blocks until SIGTERM or SIGINT; each input topic finishes the batch in hand (up to
    30 s, else the process exits unacknowledged) before Faust commits."""
    app = build_app(settings)
    worker = _Worker(app, loglevel=loglevel, quiet=True)
    worker.execute_from_commandline()
