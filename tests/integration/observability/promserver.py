"""A real Prometheus (the Debian binary) for the observability tests, and PromQL helpers.

It runs on a free loopback port with its data under the test's tmp_path, scrapes the
given targets every second and evaluates the router's rule files every second.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml

from tests.integration.conftest import free_port
from tests.integration.stack import ROOT

RULES_DIR = ROOT / "deploy" / "prometheus" / "rules"
DASHBOARDS_DIR = ROOT / "deploy" / "grafana" / "dashboards"


def binary(name: str) -> str:
    path = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists()
                                  else None)
    if path is None:
        raise RuntimeError(f"{name} not found: run deploy/prometheus/install.sh (Debian package "
                           "`prometheus`, which also brings promtool)")
    return path


class Prometheus:
    def __init__(self, workdir: Path, targets: Sequence[str]) -> None:
        self.address = f"127.0.0.1:{free_port()}"
        self.config = workdir / "prometheus.yml"
        self.config.write_text(yaml.safe_dump({
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(RULES_DIR / "*.yml")],
            "scrape_configs": [{"job_name": "router",
                                "static_configs": [{"targets": list(targets)}]}],
        }))
        self.log_path = workdir / "prometheus.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [binary("prometheus"), f"--config.file={self.config}",
             f"--storage.tsdb.path={workdir / 'tsdb'}", f"--web.listen-address={self.address}"],
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def get(self, path: str, **params: str) -> Any:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        try:
            with urllib.request.urlopen(f"http://{self.address}{path}{query}",
                                        timeout=10) as response:
                return json.load(response)
        except urllib.error.HTTPError as exc:  # 400/422: a PromQL error, with its message
            return json.load(exc)

    def wait_ready(self, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"prometheus exited:\n{self.log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"http://{self.address}/-/ready", timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        raise TimeoutError(f"prometheus not ready:\n{self.log_path.read_text()[-3000:]}")

    def query(self, expr: str) -> list[dict[str, Any]]:
        """The instant-query result; raises with Prometheus's message when it fails."""
        body = self.get("/api/v1/query", query=expr)
        if body.get("status") != "success":
            raise AssertionError(f"{expr}: {body.get('errorType')}: {body.get('error')}")
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def dashboard_expressions() -> Iterator[tuple[str, str, str]]:
    """(dashboard file, panel title, expr) of every query target of every panel."""
    for path in sorted(DASHBOARDS_DIR.glob("*.json")):
        model = json.loads(path.read_text())
        for panel in model["panels"]:
            for target in panel.get("targets", []):
                yield path.name, panel["title"], target["expr"]


def rules() -> Iterator[dict[str, Any]]:
    for path in sorted(RULES_DIR.glob("*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            yield from group["rules"]


def substitute(expr: str, variables: dict[str, str]) -> str:
    """What Grafana sends for an expression, given the variables' values."""
    for name in sorted(variables, key=len, reverse=True):
        expr = expr.replace(f"${name}", variables[name])
    return expr
