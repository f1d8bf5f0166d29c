"""Stores on real Redis: standalone (the test stack) and a three-master Redis Cluster.

The cluster is started here for the session by deploy/redis/cluster/start.sh on ports
ROUTER_TEST_REDIS_CLUSTER_PORT (default 17000) .. +2, data under var/test, and stopped
(and wiped) at the end. Each test uses its own tenant.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator

import pytest

from router.state import MemoryBackend, RedisBackend, Store, StoreConfig
from tests.integration.stack import ROOT, Stack
from tests.unit.state.aio import run, run_async_test
from tests.unit.state.conftest import MakeStore

KINDS = ["memory", "redis", "cluster"]


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    return run_async_test(pyfuncitem)


def cluster_env() -> dict[str, str]:
    port = os.environ.get("ROUTER_TEST_REDIS_CLUSTER_PORT", "17000")
    return {**os.environ, "ROUTER_VAR": str(ROOT / "var" / "test"),
            "REDIS_CLUSTER_PORT": port}


@pytest.fixture(scope="session")
def cluster_url() -> Iterator[str]:
    env = cluster_env()
    script = ROOT / "deploy" / "redis" / "cluster"
    subprocess.run([str(script / "stop.sh"), "--wipe"], env=env, check=True)
    subprocess.run([str(script / "start.sh")], env=env, check=True)
    yield f"redis://127.0.0.1:{env['REDIS_CLUSTER_PORT']}"
    subprocess.run([str(script / "stop.sh"), "--wipe"], env=env, check=True)


@pytest.fixture(scope="session")
def redis_backend(stack: Stack) -> Iterator[RedisBackend]:
    backend = RedisBackend.from_url(stack.redis_url)
    yield backend
    run(backend.aclose())


@pytest.fixture(scope="session")
def cluster_backend(cluster_url: str) -> Iterator[RedisBackend]:
    backend = RedisBackend.from_url(cluster_url, cluster=True)
    yield backend
    run(backend.aclose())


@pytest.fixture(params=KINDS)
def backend_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture()
def make_store(backend_kind: str, request: pytest.FixtureRequest) -> MakeStore:
    def make(config: StoreConfig | None = None) -> Store:
        tenant = f"t-{uuid.uuid4().hex[:8]}"
        if backend_kind == "memory":
            return MemoryBackend(config or StoreConfig()).tenant(tenant)
        shared: RedisBackend = request.getfixturevalue(f"{backend_kind}_backend")
        if config is None:
            return shared.tenant(tenant)
        return RedisBackend(shared.client, config).tenant(tenant)

    return make


@pytest.fixture()
def store(make_store: MakeStore) -> Store:
    return make_store()
