"""`router demo`: simulated connectors and agents against a running worker, live view.

Layout: population (agents and item mix from the routing configuration), arrivals
(Poisson with a daily ramp), agents (simulated desktops), stats and view (what the
console shows), depths (queue depths from the worker's /metrics), runner (wiring),
command (the CLI subcommand). Guide: docs/demo.md.
"""

from __future__ import annotations
