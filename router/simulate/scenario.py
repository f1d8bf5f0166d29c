"""Scenario files: what traffic and which agents a simulation runs against a routing config.

A scenario is YAML, decoded with msgspec (unknown keys are errors, so a misspelt field
is reported instead of silently ignored) and then checked against the routing config it
names (workstreams, queues and presences must exist there). Every problem is reported
as `path: reason`, e.g. `$.agents[1].queues[0]: 'sales' is not a queue of tenant acme`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import msgspec
import yaml

from router.config.load import ConfigError, load_config
from router.config.model import BASE_PRESENCES, RoutingConfig, Tenant
from router.simulate.distributions import ZERO, Distribution
from router.simulate.durations import Seconds, parse_duration

DEFAULT_SERVICE_LEVEL_S = 20.0
"""Service-level threshold when the scenario gives none: the routing config has no
service-level target, and 80/20 is the contact-center convention."""

DEFAULT_START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
"""A Monday morning: virtual time 0 unless the scenario says otherwise."""


class ScenarioError(ValueError):
    """A scenario that cannot run; `problems` lists every `path: reason`."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(f"{source}: {p}" for p in problems))


class _Base(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    pass


class RateStep(_Base, frozen=True, kw_only=True):
    """From `start` (seconds into the run) arrivals come at `per_hour` until the next step."""

    start: Seconds
    per_hour: Annotated[float, msgspec.Meta(ge=0)]


class Arrivals(_Base, frozen=True, kw_only=True):
    """A Poisson stream of work items into one workstream, with its own handle times."""

    workstream: str
    name: str = ""
    channel: str | None = None
    attributes: dict[str, Any] = msgspec.field(default_factory=dict)
    priority: float | None = None
    per_hour: Annotated[float, msgspec.Meta(ge=0)] | None = None
    schedule: tuple[RateStep, ...] = ()
    handle_time: Distribution
    patience: Distribution | None = None

    def rate_steps(self) -> tuple[RateStep, ...]:
        """The rate as steps; a constant `per_hour` is one step from the start."""
        if self.schedule:
            return self.schedule
        return (RateStep(start=Seconds(0), per_hour=self.per_hour or 0.0),)

    @property
    def label(self) -> str:
        return self.name or self.workstream


class Capacity(_Base, frozen=True, kw_only=True):
    units: Annotated[int, msgspec.Meta(ge=0)] = 0
    profiles: dict[str, Annotated[int, msgspec.Meta(ge=0)]] = msgspec.field(
        default_factory=dict)


class PresenceStep(_Base, frozen=True, kw_only=True):
    """At `at` seconds into the run the agents switch to `presence`."""

    at: Seconds
    presence: str


class AgentGroup(_Base, frozen=True, kw_only=True):
    """`count` identical agents; offers are accepted with `accept_probability` after a
    think time, otherwise declined; `wrap_up` is how long they take to close an item of
    a workstream whose wrap-up lasts until closed."""

    name: str
    count: Annotated[int, msgspec.Meta(ge=0)] = 1
    queues: tuple[str, ...]
    skills: dict[str, Annotated[int, msgspec.Meta(ge=0)]] = msgspec.field(default_factory=dict)
    attributes: dict[str, Any] = msgspec.field(default_factory=dict)
    capacity: Capacity
    presence: str = "available"
    schedule: tuple[PresenceStep, ...] = ()
    accept_probability: Annotated[float, msgspec.Meta(ge=0, le=1)] = 1.0
    think_time: Distribution = ZERO
    wrap_up: Distribution = ZERO


class Timers(_Base, frozen=True, kw_only=True):
    """How often the worker's sweeper runs (ROUTER_SWEEP_INTERVAL_MS) and the periodic
    queue sweep (ROUTER_QUEUE_SWEEP_MS; 0 turns it off)."""

    sweep_interval: Seconds = Seconds(1.0)
    queue_sweep: Seconds = Seconds(5.0)


class ServiceLevel(_Base, frozen=True, kw_only=True):
    """Threshold for "answered within": one default and optional per-queue values."""

    default: Seconds | None = None
    queues: dict[str, Seconds] = msgspec.field(default_factory=dict)


class Scenario(_Base, frozen=True, kw_only=True):
    name: str = ""
    config: str | None = None
    tenant: str | None = None
    duration: Seconds
    warm_up: Seconds = Seconds(0.0)
    seed: int = 1
    start: datetime = DEFAULT_START
    timers: Timers = msgspec.field(default_factory=Timers)
    service_level: ServiceLevel = msgspec.field(default_factory=ServiceLevel)
    arrivals: tuple[Arrivals, ...]
    agents: tuple[AgentGroup, ...]

    def threshold(self, queue: str) -> tuple[float, bool]:
        """The queue's service-level threshold, and whether it is the built-in default."""
        if queue in self.service_level.queues:
            return float(self.service_level.queues[queue]), False
        if self.service_level.default is not None:
            return float(self.service_level.default), False
        return DEFAULT_SERVICE_LEVEL_S, True


class Loaded(msgspec.Struct, frozen=True, kw_only=True):
    """A scenario with the routing config and tenant it runs against."""

    scenario: Scenario
    config: RoutingConfig
    tenant: Tenant
    config_path: Path | None


def _dec_hook(kind: type, obj: Any) -> Any:
    if kind is Seconds:
        return parse_duration(obj)
    raise NotImplementedError(f"cannot decode {kind}")


def parse_scenario(data: Any, source: str = "scenario") -> Scenario:
    """The scenario in `data` (already parsed YAML), structure only."""
    if not isinstance(data, Mapping):
        raise ScenarioError(source, ["$: a scenario is a mapping of fields (name, duration, "
                                     "arrivals, agents, ...)"])
    try:
        return msgspec.convert(data, Scenario, dec_hook=_dec_hook)
    except msgspec.ValidationError as exc:
        raise ScenarioError(source, [_path_first(str(exc))]) from None


def _path_first(message: str) -> str:
    """msgspec says `reason - at `$.path``; reports read better as `$.path: reason`."""
    reason, sep, path = message.rpartition(" - at ")
    if not sep:
        return f"$: {message}"
    path = path.strip("`")
    if path.endswith(".distribution"):
        reason += " (use exponential, lognormal or fixed)"
    return f"{path}: {reason}"


def load_scenario(path: Path, seed: int | None = None) -> Loaded:
    """Reads, decodes and checks a scenario file; the routing config path in it is
    relative to the scenario file. `seed` overrides the file's seed."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(source, [f"$: cannot read the file: {exc.strerror or exc}"]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise ScenarioError(source, [f"$: not valid YAML{where}: {exc}"]) from None
    scenario = parse_scenario(data, source)
    if seed is not None:
        scenario = msgspec.structs.replace(scenario, seed=seed)
    config_path = (path.parent / scenario.config) if scenario.config else None
    return resolve(scenario, config_path, source)


def resolve(scenario: Scenario, config_path: Path | None, source: str = "scenario",
            config: RoutingConfig | None = None) -> Loaded:
    """Loads the routing config (unless given) and checks the scenario against it."""
    if config is None:
        try:
            config = load_config(config_path)
        except ConfigError as exc:
            raise ScenarioError(source, [f"$.config: the routing config {config_path} is "
                                         f"invalid: {exc}"]) from None
        except OSError as exc:
            raise ScenarioError(source, [f"$.config: cannot read {config_path}: "
                                         f"{exc.strerror or exc}"]) from None
    tenant = _tenant(config, scenario.tenant, source)
    problems = list(check(scenario, tenant))
    if problems:
        raise ScenarioError(source, problems)
    return Loaded(scenario=scenario, config=config, tenant=tenant, config_path=config_path)


def _tenant(config: RoutingConfig, wanted: str | None, source: str) -> Tenant:
    if wanted is None:
        return config.tenants[0]
    for tenant in config.tenants:
        if tenant.id == wanted:
            return tenant
    known = ", ".join(t.id for t in config.tenants)
    raise ScenarioError(source, [f"$.tenant: {wanted!r} is not a tenant of the routing config "
                                 f"(known: {known})"])


def check(scenario: Scenario, tenant: Tenant) -> Iterator[str]:
    """Every cross-reference and range problem, as `path: reason`."""
    workstreams = {w.id for w in tenant.workstreams}
    queues = {q.id for q in tenant.queues}
    presences = set(BASE_PRESENCES) | set(tenant.presence)
    if scenario.duration <= 0:
        yield "$.duration: must be greater than 0"
    if scenario.warm_up >= scenario.duration > 0:
        yield "$.warm_up: must be shorter than the duration"
    if scenario.start.utcoffset() is None:
        yield "$.start: give a time zone, e.g. 2026-01-05T08:00:00Z"
    if scenario.timers.sweep_interval <= 0:
        yield "$.timers.sweep_interval: must be greater than 0"
    for queue in scenario.service_level.queues:
        if queue not in queues:
            yield (f"$.service_level.queues.{queue}: not a queue of tenant {tenant.id} "
                   f"(known: {', '.join(sorted(queues))})")
    if not scenario.arrivals:
        yield "$.arrivals: give at least one arrival stream"
    for n, arrivals in enumerate(scenario.arrivals):
        at = f"$.arrivals[{n}]"
        if arrivals.workstream not in workstreams:
            yield (f"{at}.workstream: {arrivals.workstream!r} is not a workstream of tenant "
                   f"{tenant.id} (known: {', '.join(sorted(workstreams))})")
        if (arrivals.per_hour is None) == (not arrivals.schedule):
            yield f"{at}: give exactly one of per_hour (a constant rate) or schedule"
        for k, rate in enumerate(arrivals.rate_steps()):
            if not math.isfinite(rate.per_hour):
                where = f"{at}.per_hour" if arrivals.per_hour is not None else (
                    f"{at}.schedule[{k}].per_hour")
                yield f"{where}: must be a finite number of arrivals per hour"
        starts = [step.start for step in arrivals.schedule]
        if starts and (float(starts[0]) != 0.0 or starts != sorted(set(starts))):
            yield (f"{at}.schedule: steps must start at 0 and be in increasing order of "
                   f"start")
        yield from _distribution(f"{at}.handle_time", arrivals.handle_time)
        if arrivals.patience is not None:
            yield from _distribution(f"{at}.patience", arrivals.patience)
    if not scenario.agents:
        yield "$.agents: give at least one agent group"
    names: set[str] = set()
    for n, group in enumerate(scenario.agents):
        at = f"$.agents[{n}]"
        if not group.name or "/" in group.name:
            yield f"{at}.name: give a non-empty name without '/'"
        if group.name in names:
            yield f"{at}.name: {group.name!r} is used by another agent group"
        names.add(group.name)
        for k, queue in enumerate(group.queues):
            if queue not in queues:
                yield (f"{at}.queues[{k}]: {queue!r} is not a queue of tenant {tenant.id} "
                       f"(known: {', '.join(sorted(queues))})")
        if group.presence not in presences:
            yield f"{at}.presence: {group.presence!r} is not a presence of tenant {tenant.id}"
        for k, step in enumerate(group.schedule):
            if step.presence not in presences:
                yield (f"{at}.schedule[{k}].presence: {step.presence!r} is not a presence of "
                       f"tenant {tenant.id} (known: {', '.join(sorted(presences))})")
        yield from _distribution(f"{at}.think_time", group.think_time)
        yield from _distribution(f"{at}.wrap_up", group.wrap_up)
    yield from _unserved(scenario, tenant)


def _unserved(scenario: Scenario, tenant: Tenant) -> Iterator[str]:
    """Arrival streams no agent group could ever take an item of: none of the groups in
    the workstream's queues has the units and the profiles one item costs (the agents'
    `capacity` defaults to nothing). Such a run only measures an empty floor."""
    by_id = {w.id: w for w in tenant.workstreams}
    for n, arrivals in enumerate(scenario.arrivals):
        workstream = by_id.get(arrivals.workstream)
        if workstream is None:
            continue  # reported above
        cost, queues = workstream.capacity, workstream.target_queues
        groups = [g for g in scenario.agents if queues & set(g.queues)]
        if groups and not any(
                g.capacity.units >= cost.units
                and all(g.capacity.profiles.get(p, 0) > 0 for p in cost.profiles)
                for g in groups):
            needs = ", ".join([f"{cost.units} units",
                               *(f"profile {p}" for p in cost.profiles)])
            yield (f"$.arrivals[{n}]: no agent group in {arrivals.workstream}'s queues has "
                   f"the capacity one item needs ({needs}); give a group `capacity`")


def _distribution(at: str, dist: Distribution) -> Iterator[str]:
    for field, reason in dist.problems():
        yield f"{at}.{field}: {reason}"
