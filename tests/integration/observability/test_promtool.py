"""`promtool check config` and `promtool check rules` on the shipped Prometheus files."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import yaml

from tests.integration.observability.promserver import RULES_DIR, binary
from tests.integration.stack import ROOT

CONFIG = ROOT / "deploy" / "prometheus" / "prometheus.yml"


def _promtool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([binary("promtool"), *map(str, args)], capture_output=True,
                          text=True, timeout=60)


def test_rules_pass_promtool_and_every_alert_has_a_recorded_signal() -> None:
    files = sorted(RULES_DIR.glob("*.yml"))
    assert files
    result = _promtool("check", "rules", *files)
    assert result.returncode == 0, result.stdout + result.stderr
    rules = [r for f in files for g in yaml.safe_load(f.read_text())["groups"]
             for r in g["rules"]]
    recorded = {r["record"] for r in rules if "record" in r}
    alerts = [r for r in rules if "alert" in r]
    assert {a["alert"] for a in alerts} >= {
        "RouterWaitAboveServiceLevel", "RouterDeadLetters", "RouterConsumerLagHigh",
        "RouterItemsWaitWhileAgentsIdle"}
    for alert in alerts:
        assert alert["expr"].split()[0] in recorded, alert["alert"]
        assert alert["annotations"]["summary"] and alert["labels"]["severity"]


def test_the_shipped_config_passes_promtool_with_its_rule_files(tmp_path: Path) -> None:
    # checked in a copy so the relative rule_files resolve exactly as in the container
    shutil.copy(CONFIG, tmp_path / "prometheus.yml")
    shutil.copytree(RULES_DIR, tmp_path / "rules")
    result = _promtool("check", "config", tmp_path / "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 1 rule files found" in result.stdout


def test_promtool_rejects_a_broken_rule(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("groups:\n  - name: x\n    rules:\n      - alert: X\n        expr: rate(\n")
    result = _promtool("check", "rules", broken)
    assert result.returncode != 0 and "parse error" in (result.stdout + result.stderr)
