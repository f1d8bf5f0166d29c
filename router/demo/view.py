"""The live console view: one screen, redrawn every second, rendered to a plain string
so what the operator sees is exactly what the tests check."""

from __future__ import annotations

import math

from router.demo.stats import OUTCOMES, Snapshot

CLEAR = "\x1b[H\x1b[2J"
BAR_WIDTH = 30


def _ms(seconds: float) -> str:
    if math.isnan(seconds):
        return "-"
    if seconds < 10:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds:.1f} s"


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def _bar(value: int, scale: int) -> str:
    if scale <= 0 or value <= 0:
        return ""
    return "#" * max(1, round(BAR_WIDTH * value / scale))


def render(snap: Snapshot) -> str:
    """The screen for one snapshot (no terminal control codes)."""
    lines = [
        f"router demo  tenant {snap.tenant}  running {_clock(snap.elapsed_s)}  "
        f"arrivals now {snap.arrival_rate:.1f}/s  agents {snap.agents_available}/{snap.agents} "
        "available",
        "",
        "throughput (last 10 s)",
        f"  items in     {snap.in_rate:8.1f}/s   total {snap.published}",
        f"  offers out   {snap.offer_rate:8.1f}/s   total {snap.offers}",
        f"  assignments  {snap.assign_rate:8.1f}/s   total {snap.assignments}"
        f"   closed {snap.closed}",
        "",
        f"wait from publish to offer (last 60 s, {snap.wait_samples} items)",
        f"  p50 {_ms(snap.wait_p50_s)}   p90 {_ms(snap.wait_p90_s)}",
        "",
        "offers by outcome",
        "  " + "   ".join(f"{name.removeprefix('offer.')} {snap.outcomes.get(name, 0)}"
                          for name in OUTCOMES),
        "",
        f"queue depths (from {snap.depth_source})",
    ]
    depths = snap.waiting_by_queue
    if depths:
        width = max(len(queue) for queue in depths)
        scale = max(depths.values())
        for queue in sorted(depths):
            lines.append(f"  {queue:<{width}}  {depths[queue]:5d}  {_bar(depths[queue], scale)}")
    else:
        lines.append("  (no queue has waiting items)")
    lines.append(f"  not yet classified or offered: {snap.unclassified}")
    for note in snap.notes:
        lines.append(f"! {note}")
    lines += ["", "Ctrl-C stops the demo."]
    return "\n".join(lines) + "\n"
