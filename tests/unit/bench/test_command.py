"""The `bench` and `demo` subcommands: help that explains, bad options named."""

from __future__ import annotations

import argparse

import pytest

from router.bench import command as bench_command
from router.demo import command as demo_command


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="router")
    commands = root.add_subparsers(dest="command", required=True)
    bench_command.add_parser(commands)
    demo_command.add_parser(commands)
    return root


def test_defaults_and_values() -> None:
    args = parser().parse_args(["bench"])
    assert (args.items, args.rates, args.rate_seconds) == (10_000, (100.0, 500.0, 1000.0), 10.0)
    args = parser().parse_args(["bench", "--items", "300", "--rates", "100,250"])
    assert (args.items, args.rates) == (300, (100.0, 250.0))
    args = parser().parse_args(["demo", "--rate", "12", "--duration", "30"])
    assert (args.rate, args.duration, args.agents, args.ramp_period) == (12.0, 30.0, 0, 600.0)


@pytest.mark.parametrize(("argv", "message"), [
    (["bench", "--rates", "100,fast"], "argument --rates: 'fast' is not a number"),
    (["bench", "--items", "0"], "argument --items: must be above 0, got 0"),
    (["demo", "--rate", "-1"], "argument --rate: --rate: must be above 0, got -1"),
    (["demo", "--duration", "soon"], "--duration: 'soon' is not a number"),
])
def test_bad_options_are_named(argv: list[str], message: str,
                               capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parser().parse_args(argv)
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(("sub", "phrases"), [
    ("bench", ["bare Kafka round trip", "5,000 items/s", "BENCHMARKS.md", "--rate-seconds"]),
    ("demo", ["Poisson", "accept", "Ctrl-C", "--ramp-period", "/metrics"]),
])
def test_help_explains(sub: str, phrases: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parser().parse_args([sub, "--help"])
    text = capsys.readouterr().out
    for phrase in phrases:
        assert phrase in text
