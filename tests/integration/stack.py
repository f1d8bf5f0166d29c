"""The test run's own Kafka and Redis, started through the same deploy scripts as `make up`.

They run on their own ports and data folder (var/test), so a `make run` stack on the
default ports is left alone. Ports come from ROUTER_TEST_* variables when set.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Stack:
    kafka_bootstrap: str
    redis_url: str
    redis_port: int
    env: dict[str, str]

    def script_env(self) -> dict[str, str]:
        return {**os.environ, **self.env}


def stack_from_env() -> Stack:
    kafka_port = int(os.environ.get("ROUTER_TEST_KAFKA_PORT", "19092"))
    controller_port = int(os.environ.get("ROUTER_TEST_KAFKA_CONTROLLER_PORT", "19093"))
    redis_port = int(os.environ.get("ROUTER_TEST_REDIS_PORT", "16379"))
    env = {
        "ROUTER_VAR": str(ROOT / "var" / "test"),
        "KAFKA_PORT": str(kafka_port),
        "KAFKA_CONTROLLER_PORT": str(controller_port),
        "REDIS_PORT": str(redis_port),
    }
    return Stack(
        kafka_bootstrap=f"127.0.0.1:{kafka_port}",
        redis_url=f"redis://127.0.0.1:{redis_port}/0",
        redis_port=redis_port,
        env=env,
    )


def _running(stack: Stack) -> bool:
    var = Path(stack.env["ROUTER_VAR"])
    for pidfile in (var / "kafka" / "kafka.pid", var / "redis" / "redis.pid"):
        try:
            os.kill(int(pidfile.read_text()), 0)
        except (FileNotFoundError, ValueError, ProcessLookupError):
            return False
    return True


def start(stack: Stack) -> bool:
    """Starts the stack; returns whether it was this call that started it."""
    was_running = _running(stack)
    began = time.monotonic()
    subprocess.run([str(ROOT / "deploy" / "up.sh")], env=stack.script_env(), check=True)
    if not was_running:
        print(f"\ntest stack up in {time.monotonic() - began:.1f}s: Kafka {stack.kafka_bootstrap}, "
              f"Redis {stack.redis_url}")
    return not was_running


def stop(stack: Stack) -> None:
    subprocess.run([str(ROOT / "deploy" / "down.sh")], env=stack.script_env(), check=True)
