"""The demo's population follows the routing configuration, so its items can be served."""

from __future__ import annotations

import itertools
import random
from collections import Counter

import pytest

from router.config.load import load_config
from router.demo.arrivals import Arrivals
from router.demo.population import (
    Mix,
    agents_needed,
    make_agents,
    ramp_factor,
    required_skills,
)

TENANT = load_config(None).tenants[0]


def test_mix_covers_every_workstream_in_proportion() -> None:
    mix = Mix.of(TENANT)
    rng = random.Random(1)
    drawn = Counter(mix.draw(rng).workstream for _ in range(20_000))
    assert set(drawn) == {ws.id for ws in TENANT.workstreams}
    for workstream, share in mix.shares.items():
        assert drawn[workstream] / 20_000 == pytest.approx(share, abs=0.02)


def test_agents_join_every_queue_and_hold_the_skills_rules_name() -> None:
    agents = make_agents(TENANT, 20, random.Random(2))
    queues = {queue.id for queue in TENANT.queues}
    assert all(set(agent.queues) == queues for agent in agents)
    assert required_skills(TENANT) == {"billing": 5}
    assert all(agent.skills["billing"] == 5 for agent in agents)
    for language in ("en", "fr", "de"):  # items in any language find a speaker
        assert any(agent.skills.get(language, 0) >= 3 for agent in agents)
    assert all(agent.profiles == {"chat": 3, "call": 1, "case": 5} for agent in agents)


def test_team_grows_with_the_rate() -> None:
    mix = Mix.of(TENANT)
    small, large = agents_needed(TENANT, mix, 1.0), agents_needed(TENANT, mix, 10.0)
    assert 4 <= small < large
    assert large == pytest.approx(10 * small, rel=0.2)


def test_ramp_has_a_quiet_night_and_a_busy_day() -> None:
    assert ramp_factor(0, 600) == pytest.approx(0.3)
    assert ramp_factor(240, 600) > 0.9
    assert ramp_factor(300, 600) < ramp_factor(240, 600)  # lunch dip
    assert all(0.3 <= ramp_factor(t, 600) <= 1.0 for t in range(0, 1200, 7))
    assert ramp_factor(123, 0) == 1.0
    assert max(ramp_factor(t / 10, 600) for t in range(6000)) == pytest.approx(1.0, abs=1e-4)


def test_poisson_arrivals_average_the_rate_and_follow_the_shape() -> None:
    flat = Arrivals(50.0, lambda _t: 1.0, random.Random(3))
    times = [flat.next() for _ in range(10_000)]
    assert 10_000 / times[-1] == pytest.approx(50.0, rel=0.05)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    mean = sum(gaps) / len(gaps)
    variance = sum((g - mean) ** 2 for g in gaps) / len(gaps)
    assert variance / mean**2 == pytest.approx(1.0, rel=0.1)  # exponential gaps: CV 1

    half = Arrivals(50.0, lambda t: 1.0 if t < 100 else 0.5, random.Random(4))
    counts: Counter[bool] = Counter()
    while True:
        t = half.next()
        if t >= 200:
            break
        counts[t < 100] += 1
    assert counts[False] / counts[True] == pytest.approx(0.5, rel=0.1)


def test_arrivals_refuse_a_rate_of_zero() -> None:
    with pytest.raises(ValueError, match="rate: must be above 0"):
        Arrivals(0.0, lambda _t: 1.0, random.Random())
