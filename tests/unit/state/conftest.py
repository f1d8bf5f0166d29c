from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from router.state import MemoryBackend, Store, StoreConfig
from tests.unit.state.aio import run_async_test

MakeStore = Callable[..., Store]


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    return run_async_test(pyfuncitem)


@pytest.fixture(params=["memory"])
def backend_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture()
def make_store(backend_kind: str) -> MakeStore:
    """A fresh store of a unique tenant, optionally with its own config."""

    def make(config: StoreConfig | None = None) -> Store:
        backend = MemoryBackend(config) if config else MemoryBackend()
        return backend.tenant(f"t-{uuid.uuid4().hex[:8]}")

    return make


@pytest.fixture()
def store(make_store: MakeStore) -> Store:
    return make_store()
