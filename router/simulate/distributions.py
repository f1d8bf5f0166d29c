"""Random durations for handle, think, wrap-up and patience times.

Exponential is the textbook (Erlang C) case; lognormal is what measured handle times
usually look like (skewed, never negative); fixed isolates one effect in a what-if.
Lognormal is given by its mean and standard deviation, the figures a WFM report shows,
and converted here to the underlying normal's parameters.
"""

from __future__ import annotations

import math
import random

import msgspec

from router.simulate.durations import Seconds


class Exponential(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True,
                  tag_field="distribution", tag="exponential"):
    mean: Seconds

    def sample(self, rng: random.Random) -> float:
        return rng.expovariate(1.0 / self.mean) if self.mean > 0 else 0.0

    def problems(self) -> list[tuple[str, str]]:
        return [] if self.mean > 0 else [("mean", "must be greater than 0")]


class LogNormal(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True,
                tag_field="distribution", tag="lognormal"):
    mean: Seconds
    sd: Seconds

    def sample(self, rng: random.Random) -> float:
        variance = math.log1p((self.sd / self.mean) ** 2)
        mu = math.log(self.mean) - variance / 2
        return rng.lognormvariate(mu, math.sqrt(variance))

    def problems(self) -> list[tuple[str, str]]:
        out = []
        if self.mean <= 0:
            out.append(("mean", "must be greater than 0"))
        if self.sd <= 0:
            out.append(("sd", "must be greater than 0 (use `fixed` for no spread)"))
        return out


class Fixed(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True,
            tag_field="distribution", tag="fixed"):
    value: Seconds

    def sample(self, rng: random.Random) -> float:
        return float(self.value)

    def problems(self) -> list[tuple[str, str]]:
        return []


Distribution = Exponential | LogNormal | Fixed
ZERO = Fixed(value=Seconds(0.0))
