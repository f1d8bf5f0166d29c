"""The bucket ranges the statistics count with agree with the store's member encoding."""

from __future__ import annotations

import asyncio

import pytest

from router.config.load import load_config
from router.observability.cycles import timed_cycle
from router.observability.state_reads import bucket_names, bucket_range
from router.state.member import encode_member


def test_bucket_range_holds_exactly_the_members_of_its_bucket() -> None:
    members = [encode_member(b, (k, 1e9 + k), f"i{b}{k}") for b in (-1, 0, 1, 2) for k in
               (-5.0, 0.0, 3.5)]
    for bucket in (-1, 0, 1, 2):
        low, high = bucket_range(bucket)
        inside = [m for m in members if low[1:] <= m < high[1:]]
        assert inside == [m for m in members if int(m[:4], 16) - 1 == bucket]
        assert len(inside) == 3


def test_bucket_names_follow_the_queue_rules() -> None:
    tenant = load_config(None).tenants[0]
    vip = next(q for q in tenant.queues if q.id == "vip")
    assert bucket_names(vip) == [
        (-1, "affinity"), (0, "platinum first, highest priority first"),
        (1, "close to the deadline"), (2, "default")]


def test_timed_cycle_rejects_an_unknown_trigger() -> None:
    expected = "trigger 'other': must be one of item, agent, sweep"
    with pytest.raises(ValueError, match=expected), timed_cycle("other"):  # type: ignore[arg-type]
        pass


def test_a_timed_cycle_is_observed_once_whether_it_returns_or_raises() -> None:
    from router.observability.cycles import timed
    from router.observability.metrics import CYCLE_SECONDS

    def count() -> float:
        return next((s.value for m in CYCLE_SECONDS.collect() for s in m.samples
                     if s.name.endswith("_count") and s.labels == {"trigger": "sweep"}), 0.0)

    @timed("sweep")
    async def cycle(fail: bool) -> int:
        if fail:
            raise RuntimeError("boom")
        return 7

    before = count()
    assert asyncio.run(cycle(False)) == 7
    with pytest.raises(RuntimeError, match="boom"):
        asyncio.run(cycle(True))
    assert count() == before + 2
    with pytest.raises(ValueError, match="trigger 'other'"):
        timed("other")  # type: ignore[arg-type]
