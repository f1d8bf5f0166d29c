"""Fixtures for tests against the real Kafka and Redis.

The stack starts once per test run. Each test gets its own topic prefix, Faust app id and
tenant, so tests never see each other's events or keys.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import yaml

from router.admin import create_topics
from router.config.load import sample_config_text
from router.settings import Settings
from tests.integration.stack import ROOT, Stack, stack_from_env, start, stop


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    the_stack = stack_from_env()
    started_here = start(the_stack)
    yield the_stack
    if started_here and not os.environ.get("ROUTER_TEST_KEEP_STACK"):
        stop(the_stack)


@pytest.fixture()
def tenant() -> str:
    return f"tenant-{uuid.uuid4().hex[:8]}"


@pytest.fixture()
def routing_config(tenant: str, tmp_path: Path) -> Path:
    """The bundled sample configuration, for this test's own tenant."""
    data = yaml.safe_load(sample_config_text())
    data["tenants"][0]["id"] = tenant
    path = tmp_path / "routing.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture()
def settings(stack: Stack, routing_config: Path) -> Settings:
    run = uuid.uuid4().hex[:10]
    the_settings = Settings(
        kafka_bootstrap=stack.kafka_bootstrap,
        redis_url=stack.redis_url,
        topic_prefix=f"t{run}.",
        topic_partitions=4,
        app_id=f"router-test-{run}",
        config_path=routing_config,
    )
    create_topics(the_settings)
    return the_settings


@pytest.fixture()
def redis_client(stack: Stack) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(stack.redis_url)
    yield client
    client.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class WorkerProcess:
    """A `router worker` child process with its log captured in a file."""

    def __init__(
        self, settings: Settings, log_path: Path, env: dict[str, str] | None = None
    ) -> None:
        self.log_path = log_path
        self.http = f"127.0.0.1:{free_port()}"
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "router.cli", "worker"],
            env={
                **os.environ, **settings.to_env(), **(env or {}), "ROUTER_HTTP_ADDRESS": self.http
            },
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            start_new_session=True,
        )

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"http://{self.http}{path}", timeout=5) as response:
                return int(response.status), response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def wait_ready(self, timeout_s: float = 90.0) -> None:
        """Ready (from /readyz) means a partition assignment and Redis answering."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited early:\n{self.log_text()[-3000:]}")
            try:
                if self.get("/readyz")[0] == 200:
                    return
            except OSError:
                pass  # not listening yet
            time.sleep(0.2)
        raise TimeoutError(f"worker not ready after {timeout_s}s:\n{self.log_text()[-3000:]}")

    def stop(self, sig: int = signal.SIGTERM, timeout_s: float = 30.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        return self.process.returncode


@pytest.fixture()
def start_worker(settings: Settings, tmp_path: Path) -> Iterator[object]:
    workers: list[WorkerProcess] = []

    def _start(name: str = "worker", env: dict[str, str] | None = None) -> WorkerProcess:
        worker = WorkerProcess(settings, tmp_path / f"{name}-{len(workers)}.log", env)
        workers.append(worker)
        worker.wait_ready()
        return worker

    yield _start
    for worker in workers:
        worker.stop()
