"""The one router worker process the benchmark measures, started like `make run` does."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from router.settings import Settings


def free_address() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{sock.getsockname()[1]}"


class Worker:
    """`router worker` in its own session, log in a file, stopped with SIGTERM."""

    def __init__(self, settings: Settings, log_path: Path) -> None:
        self.settings = settings
        self.log_path = log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "router.cli", "worker", "--loglevel", "warning"],
            env={**os.environ, **settings.to_env()},
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def ready(self) -> bool:
        try:
            url = f"http://{self.settings.http_address}/readyz"
            with urllib.request.urlopen(url, timeout=1) as response:
                return int(response.status) == 200
        except (OSError, urllib.error.HTTPError):
            return False

    def wait_ready(self, timeout_s: float = 120.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not self.ready():
            if self.process.poll() is not None:
                raise RuntimeError(f"the router worker exited early; see {self.log_path}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the router worker was not ready after {timeout_s:.0f} s; "
                                   f"see {self.log_path}")
            time.sleep(0.2)

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout_s: float = 30.0) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
