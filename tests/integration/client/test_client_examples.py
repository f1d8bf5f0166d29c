"""The runnable examples work against a real worker: the chat connector's items are
offered to the agent desktop, which accepts, completes and closes them."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable

from router.settings import Settings
from tests.integration.conftest import WorkerProcess
from tests.integration.stack import ROOT

ITEMS = 3


def test_connector_and_desktop_work_items_end_to_end(
    settings: Settings, tenant: str, start_worker: Callable[..., WorkerProcess]
) -> None:
    start_worker()
    env = {**os.environ, **settings.to_env(), "ROUTER_TENANT": tenant}
    desktop = subprocess.Popen(
        [
            sys.executable,
            "examples/agent_desktop.py",
            "--agent",
            "ana",
            "--max-items",
            str(ITEMS),
            "--handle-time",
            "0.2",
            "--wrap-up",
            "0.1",
            "--seed",
            "1",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        connector = subprocess.run(
            [
                sys.executable,
                "examples/chat_connector.py",
                "--count",
                str(ITEMS),
                "--rate",
                "20",
                "--seed",
                "1",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert connector.returncode == 0, connector.stdout + connector.stderr
        assert f"done: sent {ITEMS}, delivered {ITEMS}, failed 0" in connector.stdout
        output, _ = desktop.communicate(timeout=180)
    finally:
        if desktop.poll() is None:
            desktop.kill()
            desktop.communicate()
    assert desktop.returncode == 0, output
    for verb in ("accepted offer for", "assigned", "completed", "closed"):
        assert output.count(f"ana: {verb} chat-") == ITEMS, output
    assert "ana: offline" in output


def test_connector_with_a_count_waits_for_the_abandons_still_due(settings: Settings,
                                                                  tenant: str) -> None:
    # Every customer abandons, 1 s after arriving: the last cancel is due after the last
    # item is sent, and the run must stay for it.
    env = {**os.environ, **settings.to_env(), "ROUTER_TENANT": tenant}
    connector = subprocess.run(
        [sys.executable, "examples/chat_connector.py", "--count", str(ITEMS), "--rate", "20",
         "--abandon", "1", "--patience", "1", "--seed", "1"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )
    assert connector.returncode == 0, connector.stdout + connector.stderr
    assert (f"done: sent {ITEMS}, delivered {2 * ITEMS}, failed 0, cancelled {ITEMS}, "
            "undelivered 0") in connector.stdout, connector.stdout
