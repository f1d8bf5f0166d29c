"""Scenario files: every mistake is reported as `path: reason`, naming the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from router.simulate.durations import parse_duration
from router.simulate.scenario import ScenarioError, load_scenario

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "scenarios"


def base() -> dict[str, Any]:
    return {
        "name": "t",
        "duration": "1h",
        "arrivals": [{"workstream": "voice", "per_hour": 30,
                      "handle_time": {"distribution": "exponential", "mean": "4m"}}],
        "agents": [{"name": "v", "count": 2, "queues": ["voice_general"],
                    "capacity": {"units": 100, "profiles": {"call": 1}}}],
    }


def problems(tmp_path: Path, data: Any) -> list[str]:
    path = tmp_path / "scenario.yaml"
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert str(path) in str(caught.value)
    return caught.value.problems


def test_the_base_scenario_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(base()))
    loaded = load_scenario(path, seed=9)
    assert loaded.scenario.duration == 3600.0
    assert loaded.scenario.seed == 9
    assert loaded.tenant.id == "acme"
    assert loaded.scenario.arrivals[0].handle_time.mean == 240.0  # type: ignore[union-attr]


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_examples_are_valid(example: Path) -> None:
    assert load_scenario(example).scenario.arrivals


@pytest.mark.parametrize(("change", "expected"), [
    (lambda s: s.update(durration="1h"),
     "$: Object contains unknown field `durration`"),
    (lambda s: s.update(duration="an hour"),
     "$.duration: not a duration: 'an hour'"),
    (lambda s: s.update(duration=-5),
     "$.duration: a duration cannot be negative"),
    (lambda s: s.update(warm_up="2h"),
     "$.warm_up: must be shorter than the duration"),
    (lambda s: s["arrivals"][0].pop("handle_time"),
     "$.arrivals[0]: Object missing required field `handle_time`"),
    (lambda s: s["arrivals"][0].update(workstream="fax"),
     "$.arrivals[0].workstream: 'fax' is not a workstream of tenant acme"),
    (lambda s: s["arrivals"][0].update(schedule=[{"start": 0, "per_hour": 5}]),
     "$.arrivals[0]: give exactly one of per_hour (a constant rate) or schedule"),
    (lambda s: s["arrivals"][0].update(per_hour=None, schedule=[
        {"start": "1h", "per_hour": 5}, {"start": 0, "per_hour": 5}]),
     "$.arrivals[0].schedule: steps must start at 0"),
    (lambda s: s["arrivals"][0].update(per_hour=-1),
     "$.arrivals[0].per_hour: Expected `float` >= 0.0"),
    (lambda s: s["arrivals"][0].update(per_hour=float("inf")),
     "$.arrivals[0].per_hour: must be a finite number of arrivals per hour"),
    (lambda s: s["arrivals"][0].update(handle_time={"distribution": "fixed",
                                                    "value": float("nan")}),
     "$.arrivals[0].handle_time.value: a duration must be a finite number of seconds"),
    (lambda s: s.update(duration=float("inf")),
     "$.duration: a duration must be a finite number of seconds"),
    (lambda s: s["arrivals"][0].update(handle_time={"distribution": "gamma", "mean": 3}),
     "$.arrivals[0].handle_time.distribution: Invalid value 'gamma' (use exponential, "
     "lognormal or fixed)"),
    (lambda s: s["arrivals"][0].update(handle_time={"distribution": "lognormal",
                                                    "mean": 60, "sd": 0}),
     "$.arrivals[0].handle_time.sd: must be greater than 0"),
    (lambda s: s["agents"][0].update(capacity={"profiles": {"call": 1}}),
     "$.arrivals[0]: no agent group in voice's queues has the capacity one item needs "
     "(100 units, profile call)"),
    (lambda s: s["agents"][0].update(capacity={"units": 100}),
     "$.arrivals[0]: no agent group in voice's queues has the capacity one item needs"),
    (lambda s: s["agents"][0].update(queues=["voice_general", "sales"]),
     "$.agents[0].queues[1]: 'sales' is not a queue of tenant acme"),
    (lambda s: s["agents"][0].update(accept_probability=1.5),
     "$.agents[0].accept_probability: Expected `float` <= 1.0"),
    (lambda s: s["agents"][0].update(schedule=[{"at": "1h", "presence": "napping"}]),
     "$.agents[0].schedule[0].presence: 'napping' is not a presence of tenant acme"),
    (lambda s: s["agents"].append(dict(s["agents"][0])),
     "$.agents[1].name: 'v' is used by another agent group"),
    (lambda s: s.update(tenant="globex"),
     "$.tenant: 'globex' is not a tenant of the routing config (known: acme)"),
    (lambda s: s.update(service_level={"queues": {"sales": "20s"}}),
     "$.service_level.queues.sales: not a queue of tenant acme"),
])
def test_mistakes_name_the_field(tmp_path: Path, change: Any, expected: str) -> None:
    scenario = base()
    change(scenario)
    found = problems(tmp_path, scenario)
    assert any(p.startswith(expected) for p in found), found


def test_every_cross_reference_problem_is_reported_at_once(tmp_path: Path) -> None:
    scenario = base()
    scenario["arrivals"][0]["workstream"] = "fax"
    scenario["agents"][0]["queues"] = ["sales"]
    found = problems(tmp_path, scenario)
    assert len(found) == 2


def test_yaml_syntax_error_gives_the_line(tmp_path: Path) -> None:
    found = problems(tmp_path, "name: x\nduration: [1h\n")
    assert found[0].startswith("$: not valid YAML (line 3")


def test_a_scenario_must_be_a_mapping(tmp_path: Path) -> None:
    assert problems(tmp_path, "- 1\n- 2\n")[0].startswith("$: a scenario is a mapping")


def test_routing_config_path_is_relative_to_the_scenario(tmp_path: Path) -> None:
    scenario = base()
    scenario["config"] = "missing.yaml"
    found = problems(tmp_path, scenario)
    assert found[0].startswith("$.config: cannot read")
    assert "missing.yaml" in found[0]


@pytest.mark.parametrize(("text", "seconds"), [
    (90, 90.0), (1.5, 1.5), ("90s", 90.0), ("15m", 900.0), ("1h30m", 5400.0),
    ("250ms", 0.25), ("2d", 172800.0)])
def test_durations(text: Any, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "h", "5 minutes", "1h30", True, None])
def test_bad_durations(text: Any) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)
