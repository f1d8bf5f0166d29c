"""When the simulated connectors publish: a Poisson process whose rate follows a ramp.

Arrival times come from thinning (Lewis and Shedler): candidates at the peak rate, each
kept with probability rate(t)/peak, which yields a non-homogeneous Poisson process whose
gaps are exponential at every instant, as customer contacts are.
"""

from __future__ import annotations

import random
from collections.abc import Callable


class Arrivals:
    """Successive arrival offsets (seconds since the start) at `peak * shape(t)`."""

    def __init__(self, peak_rate: float, shape: Callable[[float], float],
                 rng: random.Random) -> None:
        if peak_rate <= 0:
            raise ValueError(f"rate: must be above 0, got {peak_rate}")
        self.peak_rate = peak_rate
        self.shape = shape
        self.rng = rng
        self._t = 0.0

    def rate_at(self, t: float) -> float:
        return self.peak_rate * self.shape(t)

    def next(self) -> float:
        """Offset of the next arrival after the previous one."""
        while True:
            self._t += self.rng.expovariate(self.peak_rate)
            if self.rng.random() * self.peak_rate <= self.rate_at(self._t):
                return self._t
