"""The broker warm-up lasts its shortest time, then runs until two passes in a row
agree, and gives up at its longest."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from router.bench import runner
from router.bench.runner import BROKER_WARM_UP_MAX_FACTOR, BenchOptions
from router.client import Events


@dataclass
class _Pass:
    throughput: float


class _Bare:
    """Stands in for the bare round trip: each pass answers the next figure and takes
    `pass_s` seconds of a virtual clock."""

    def __init__(self, figures: list[float], pass_s: float) -> None:
        self.figures = figures
        self.pass_s = pass_s
        self.now = 0.0
        self.sizes: list[int] = []

    def run(self, name: str, payloads: Any, rate: float | None, wait_s: float,
            progress: Any) -> _Pass:
        assert rate is None  # as fast as possible
        self.sizes.append(len(payloads))
        self.now += self.pass_s
        return _Pass(self.figures[len(self.sizes) - 1])


def _warm(figures: list[float], *, pass_s: float = 1.0, shortest_s: float = 5.0,
          items: int = 10_000) -> _Bare:
    bare = _Bare(figures, pass_s)
    runner._warm_broker(bare, Events(tenant="t", source="test"),  # type: ignore[arg-type]
                        BenchOptions(items=items, broker_warm_up_s=shortest_s),
                        lambda _line: None, clock=lambda: bare.now)
    return bare


def test_steady_passes_do_not_end_it_before_its_shortest_time() -> None:
    assert len(_warm([50_000.0] * 20).sizes) == 5


def test_after_its_shortest_time_it_ends_once_a_pass_agrees_with_the_one_before() -> None:
    figures = [20_000, 30_000, 40_000, 50_000, 60_000, 78_000, 80_000, 81_000]
    assert len(_warm([float(f) for f in figures]).sizes) == 7


def test_it_gives_up_at_its_longest_time_when_figures_keep_moving() -> None:
    moving = [1_000.0 * 2 ** n for n in range(40)]
    assert len(_warm(moving).sizes) == int(BROKER_WARM_UP_MAX_FACTOR * 5)


def test_a_small_run_without_a_shortest_time_makes_two_passes_of_its_own_size() -> None:
    assert _warm([5_000.0, 5_100.0], shortest_s=0.0, pass_s=0.01, items=40).sizes == [40, 40]
