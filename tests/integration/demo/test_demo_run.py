"""`router demo` against a real worker: items get assigned and the live view renders."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable
from typing import Any

from router.demo.runner import DemoOptions, run_demo
from router.settings import Settings


def test_demo_assigns_items_and_renders_the_live_view(
    settings: Settings, start_worker: Callable[..., Any], tenant: str
) -> None:
    worker = start_worker("worker", env={"ROUTER_SWEEP_INTERVAL_MS": "200"})
    demo_settings = dataclasses.replace(settings, http_address=worker.http)
    screens: list[str] = []
    out = io.StringIO()

    result = run_demo(demo_settings, DemoOptions(rate=8.0, duration_s=20.0, ramp_period_s=0,
                                                 seed=7),
                      out=out, on_screen=screens.append)

    snap = result.snapshot
    assert snap.tenant == tenant
    assert snap.published >= 60, snap
    assert snap.assignments >= snap.published // 2, snap
    assert snap.offers >= snap.assignments // 2, snap
    assert snap.outcomes["offer.accepted"] > 0, snap
    assert snap.wait_samples > 0 and snap.wait_p50_s > 0, snap
    assert len(screens) >= 10  # one screen a second over 20 s
    last = screens[-1]
    for heading in ("throughput (last 10 s)", "wait from publish to offer",
                    "offers by outcome", "queue depths (from"):
        assert heading in last
    assert f"tenant {tenant}" in last
    assert f"total {snap.published}" in result.screen
    assert "accepted " in last and "p50 " in last
    assert out.getvalue().count("offers by outcome") == len(screens)
