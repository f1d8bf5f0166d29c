from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from router.cli import build_parser


def test_help_explains_the_commands_and_the_environment() -> None:
    result = subprocess.run([sys.executable, "-m", "router.cli", "--help"],
                            capture_output=True, text=True, check=True)
    for word in ("topics", "worker", "ROUTER_KAFKA_BOOTSTRAP", "ROUTER_REDIS_URL"):
        assert word in result.stdout


def test_a_command_is_required() -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args([])


def _router(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "router.cli", *args],
                          capture_output=True, text=True, check=False)


def test_config_validate_accepts_the_bundled_sample() -> None:
    sample = Path(__file__).resolve().parents[2] / "router" / "config" / "sample.yaml"
    result = _router("config", "validate", str(sample))
    assert result.returncode == 0, result.stderr
    assert "valid" in result.stdout


def test_config_validate_names_the_path_and_reason_and_fails(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\ntenants:\n  - id: acme\n    decline_limit: 7\n")
    result = _router("config", "validate", str(broken))
    assert result.returncode == 1
    assert "tenants[0].decline_limit: must be <= 5" in result.stderr
