"""Replaying the same events gives the same outcomes and the same state (B3, invariant 4)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from msgspec import structs

from router.state import MemoryBackend
from tests.unit.state.aio import run
from tests.unit.state.scenario import dump, generate, replay


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), steps=st.integers(1, 250))
def test_replay_is_deterministic_and_redelivery_changes_nothing(seed: int, steps: int) -> None:
    async def body() -> None:
        ops = await generate(seed, steps)
        first, second = MemoryBackend().tenant("one"), MemoryBackend().tenant("two")
        out1 = await replay(first, ops)
        state1 = await dump(first, ops)
        out2 = await replay(second, ops)
        assert out2 == out1
        assert await dump(second, ops) == state1
        # the whole sequence delivered again: every outcome comes back, nothing moves
        again = await replay(first, ops)
        assert all(o.duplicate for o in again)
        assert [structs.replace(o, duplicate=False) for o in again] == [
            structs.replace(o, duplicate=False) for o in out1]
        assert await dump(first, ops) == state1

    run(body())


def test_a_generated_sequence_exercises_every_mutation() -> None:
    ops = run(generate(7, 1500))
    kinds = {op.kind for op in ops}
    assert kinds >= {"upsert_item", "upsert_agent", "commit_offer", "accept", "decline",
                     "expire", "revoke", "complete", "close", "cancel"}
