"""A PNG of waiting time over the run, per queue: each answered item as a faint dot at
its arrival time, and the mean wait per time slice as a line, so a staffing gap or a
peak shows up where it happened rather than averaged away."""

from __future__ import annotations

from pathlib import Path

from router.simulate.engine import Result

SLICES = 48


def write_chart(result: Result, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only: no display on servers
    import matplotlib.pyplot as plt

    tally = result.tally
    start, end = tally.window
    span = max(end - start, 1e-9)
    hours = span >= 3 * 3600
    unit, scale = ("hours", 3600.0) if hours else ("minutes", 60.0)
    by_queue: dict[str, list[tuple[float, float]]] = {}
    for track in tally.items.values():
        if track.counted and track.queue is not None and track.wait is not None:
            by_queue.setdefault(track.queue, []).append((track.arrived, track.wait))
    fig, ax = plt.subplots(figsize=(10, 5), dpi=100)
    for queue in sorted(by_queue):
        points = sorted(by_queue[queue])
        xs = [t / scale for t, _ in points]
        ys = [w for _, w in points]
        color = f"C{sorted(by_queue).index(queue) % 10}"
        ax.scatter(xs, ys, s=3, alpha=0.15, color=color)
        sums = [0.0] * SLICES
        counts = [0] * SLICES
        for t, w in points:
            k = min(int((t - start) / span * SLICES), SLICES - 1)
            sums[k] += w
            counts[k] += 1
        mids = [(start + (k + 0.5) * span / SLICES) / scale for k in range(SLICES)]
        means = [sums[k] / counts[k] if counts[k] else float("nan") for k in range(SLICES)]
        ax.plot(mids, means, color=color, linewidth=2,
                label=f"{queue} (mean per slice)")
    ax.set_xlabel(f"arrival time ({unit} into the run)")
    ax.set_ylabel("wait until assigned (s)")
    name = result.loaded.scenario.name or "simulation"
    ax.set_title(f"{name}: waiting time over the run (seed {result.loaded.scenario.seed})")
    if by_queue:
        ax.legend(loc="upper left", fontsize="small")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)
