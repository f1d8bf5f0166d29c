from __future__ import annotations

import subprocess
import sys

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
