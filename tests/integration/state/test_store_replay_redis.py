"""The same event sequence gives the same outcomes and state on memory, Redis, Cluster;
delivered a second time it changes nothing and returns the first outcomes."""

from __future__ import annotations

import pytest
from msgspec import structs

from router.state import MemoryBackend, RedisBackend
from tests.unit.state.scenario import dump, generate, replay


@pytest.mark.parametrize("kind", ["redis", "cluster"])
@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_redis_replays_like_memory(kind: str, seed: int,
                                         request: pytest.FixtureRequest) -> None:
    backend: RedisBackend = request.getfixturevalue(f"{kind}_backend")
    ops = await generate(seed, 600)
    memory = MemoryBackend().tenant("m")
    expected = await replay(memory, ops)
    store = backend.tenant(f"replay-{kind}-{seed}-{id(ops)}")
    assert await replay(store, ops) == expected
    state = await dump(store, ops)
    assert state == await dump(memory, ops)
    again = await replay(store, ops)
    assert [structs.replace(o, duplicate=False) for o in again] == [
        structs.replace(o, duplicate=False) for o in expected]
    assert all(o.duplicate for o in again)
    assert await dump(store, ops) == state
