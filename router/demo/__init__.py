"""`router demo`: simulated connectors and agents against a running worker, live view.

Layout: population (agents and item mix from the routing configuration), arrivals
(Poisson with a daily ramp), agents (simulated desktops), stats and view (what the
console shows), depths (queue depths from the worker's /metrics), runner (wiring),
command (the CLI subcommand). Guide: docs/demo.md.
"""

from __future__ import annotations

from router.settings import Settings


def run_demo_traffic(settings: Settings, rate: float, duration_s: float) -> int:
    """Entry point kept for `router.cli` until it uses `router.demo.command.add_parser`."""
    import argparse

    from router.demo.command import handle

    args = argparse.Namespace(rate=rate, duration=duration_s, agents=0, ramp_period=600.0,
                              tenant=None, seed=None)
    return handle(settings, args)
