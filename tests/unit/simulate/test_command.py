"""`router simulate`: its own parser wired into a bare `router` parser (the lead wires it
into router/cli.py), run in-process on a small scenario."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
import yaml

from router.settings import Settings
from router.simulate.command import add_parser

SCENARIO = {
    "name": "small",
    "duration": "1h",
    "warm_up": "5m",
    "arrivals": [{"workstream": "voice", "per_hour": 30,
                  "handle_time": {"distribution": "lognormal", "mean": "3m", "sd": "1m"}}],
    "agents": [{"name": "v", "count": 2, "queues": ["voice_general"],
                "capacity": {"units": 100, "profiles": {"call": 1}},
                "think_time": {"distribution": "fixed", "value": "2s"}}],
}


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="router")
    add_parser(root.add_subparsers(dest="command", required=True))
    return root


def simulate(*argv: str) -> int:
    args = parser().parse_args(["simulate", *argv])
    code: int = args.handler(Settings(), args)
    return code


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(SCENARIO))
    return path


def test_help_explains_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parser().parse_args(["simulate", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    for words in ("virtual clock", "--seed", "--chart", "--json", "examples/scenarios"):
        assert words in out


def test_text_report_and_progress(scenario: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert simulate(str(scenario), "--seed", "4") == 0
    captured = capsys.readouterr()
    assert "seed 4" in captured.out
    assert "voice_general" in captured.out
    assert "v-002" in captured.out
    assert "offers: issued" in captured.out
    assert "simulate: virtual time 1h00m00s of 1h00m00s (100%)" in captured.err


def test_json_and_chart(scenario: Path, tmp_path: Path,
                        capsys: pytest.CaptureFixture[str]) -> None:
    chart = tmp_path / "waits.png"
    assert simulate(str(scenario), "--json", "--chart", str(chart)) == 0
    report = json.loads(capsys.readouterr().out)
    queue = report["queues"]["voice_general"]
    assert queue["answered"] > 0
    assert set(queue["wait"]) == {"mean", "p50", "p90", "p99", "max"}
    assert queue["wait"]["p50"] <= queue["wait"]["p90"] <= queue["wait"]["p99"]
    assert report["offers"]["issued"] >= report["offers"]["accepted"] > 0
    assert [a["id"] for a in report["agents"]] == ["v-001", "v-002"]
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_bad_scenario_exits_1_naming_the_field(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({**SCENARIO, "duration": "soon"}))
    assert simulate(str(path)) == 1
    err = capsys.readouterr().err
    assert f"{path}: $.duration: not a duration: 'soon'" in err
    assert "nothing simulated" in err


def test_a_chart_into_a_missing_directory_is_refused_before_the_run(
        scenario: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    chart = tmp_path / "no-such-dir" / "waits.png"
    assert simulate(str(scenario), "--chart", str(chart)) == 2
    err = capsys.readouterr().err
    assert "does not exist; nothing simulated" in err
    assert "virtual time" not in err  # refused before simulating, not after
