"""Who the demo simulates: agents able to serve the configured queues, and the item mix.

Everything is derived from the tenant's routing configuration rather than hard-coded, so
`router demo` with one's own `ROUTER_CONFIG` still produces items that classify and
agents that can take them (any skill an item may require is given to the agents).
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from router.config.model import Tenant, Workstream

LANGUAGES = ("en", "fr", "de")
LANGUAGE_WEIGHTS = (70, 20, 10)
TOPICS = ("billing", "invoice", "delivery", "returns", "other")
TOPIC_WEIGHTS = (20, 5, 30, 15, 30)

KNOWN_MIX = {"chat": 55.0, "voice": 25.0, "cases": 20.0}
"""Share of arrivals of the sample's workstreams; other workstreams share equally."""

MEAN_HANDLE_S = {"messaging": 25.0, "voice": 18.0, "records": 35.0}
"""Demo handle times are compressed (seconds, not minutes) so a short run shows churn."""
MEAN_WRAP_S = 4.0
MEAN_THINK_S = 1.5
TARGET_OCCUPANCY = 0.8


@dataclass(frozen=True)
class AgentProfile:
    id: str
    units: int
    profiles: dict[str, int]
    skills: dict[str, int]
    attributes: dict[str, Any]
    queues: list[str]
    decline_rate: float
    """Probability of declining an offer; a few agents are choosy."""


@dataclass(frozen=True)
class ItemDraft:
    workstream: str
    channel: str
    attributes: dict[str, Any]
    priority: int


@dataclass(frozen=True)
class Mix:
    """Arrival shares per workstream (summing to 1) and what each needs from an agent."""

    shares: dict[str, float]
    workstreams: dict[str, Workstream] = field(repr=False)

    @classmethod
    def of(cls, tenant: Tenant) -> Mix:
        if not tenant.workstreams:
            raise ValueError(f"tenant {tenant.id!r}: the demo needs at least one workstream")
        raw = {ws.id: KNOWN_MIX.get(ws.id, 0.0) for ws in tenant.workstreams}
        unknown = [ws_id for ws_id, share in raw.items() if share == 0.0]
        for ws_id in unknown:
            raw[ws_id] = 100.0 / len(raw)
        total = sum(raw.values())
        return cls({k: v / total for k, v in raw.items()},
                   {ws.id: ws for ws in tenant.workstreams})

    def draw(self, rng: random.Random) -> ItemDraft:
        workstream = rng.choices(list(self.shares), weights=list(self.shares.values()))[0]
        ws = self.workstreams[workstream]
        language = rng.choices(LANGUAGES, weights=LANGUAGE_WEIGHTS)[0]
        attributes: dict[str, Any] = {
            "language": language,
            "vip": rng.random() < 0.06,
            "product": rng.choice(["router-pro", "router-lite"]),
        }
        if ws.channel == "messaging":
            attributes["topic"] = rng.choices(TOPICS, weights=TOPIC_WEIGHTS)[0]
        if ws.channel == "records":
            attributes["escalated"] = rng.random() < 0.15
            attributes["tier"] = rng.choices(["platinum", "gold", "std"], weights=[5, 25, 70])[0]
        return ItemDraft(workstream, ws.channel, attributes, rng.randint(0, 9))


def hold_seconds(channel: str) -> float:
    """Mean time an item holds an agent's capacity: think, handle, wrap up."""
    return MEAN_THINK_S + MEAN_HANDLE_S.get(channel, 20.0) + MEAN_WRAP_S


def slots_per_agent(tenant: Tenant, ws: Workstream, units: int) -> int:
    """How many items of `ws` one agent holds at once (units and profile limits)."""
    limits = [units // ws.capacity.units if ws.capacity.units else 1_000]
    defaults = {p.name: p.max_items for p in tenant.capacity_profiles}
    limits += [defaults.get(name, 1) for name in ws.capacity.profiles]
    return max(1, min(limits))


AGENT_UNITS = 100


def agents_needed(tenant: Tenant, mix: Mix, rate: float) -> int:
    """Enough agents for the peak arrival rate at about 80% occupancy (Little's law)."""
    busy = 0.0
    for ws_id, share in mix.shares.items():
        ws = mix.workstreams[ws_id]
        concurrent = rate * share * hold_seconds(ws.channel)
        busy += concurrent / slots_per_agent(tenant, ws, AGENT_UNITS)
    return max(4, math.ceil(busy / TARGET_OCCUPANCY))


def required_skills(tenant: Tenant) -> dict[str, int]:
    """Every named skill a requirement rule mentions, at proficiency 5."""
    skills: dict[str, int] = {}
    for ws in tenant.workstreams:
        for rule in ws.requirements:
            for skill in rule.skills:
                if skill.skill is not None:
                    skills[skill.skill] = 5
    return skills


def make_agents(tenant: Tenant, count: int, rng: random.Random,
                prefix: str = "agent") -> list[AgentProfile]:
    """Agents in every queue; everyone speaks English, some French or German too."""
    queues = [queue.id for queue in tenant.queues]
    profiles = {p.name: p.max_items for p in tenant.capacity_profiles}
    base_skills = required_skills(tenant)
    agents: list[AgentProfile] = []
    for n in range(count):
        skills = dict(base_skills)
        skills["en"] = rng.randint(3, 5)
        if rng.random() < 0.5:
            skills["fr"] = rng.randint(3, 5)
        if rng.random() < 0.35:
            skills["de"] = rng.randint(3, 5)
        if n % 5 == 0:  # someone must always speak each language
            skills.update({"fr": 5, "de": 5})
        spoken = [language for language in LANGUAGES if language in skills]
        home = rng.choice(spoken)
        skills["language_proficiency"] = skills[home]
        agents.append(AgentProfile(
            id=f"{prefix}-{n:03d}",
            units=AGENT_UNITS,
            profiles=dict(profiles),
            skills=skills,
            attributes={"certified": rng.random() < 0.6, "language": home},
            queues=list(queues),
            decline_rate=0.25 if rng.random() < 0.15 else 0.03,
        ))
    return agents


def _day_shape(phase: float) -> float:
    day = 0.65 - 0.35 * math.cos(2 * math.pi * phase)
    lunch = 0.15 * math.exp(-(((phase - 0.5) / 0.05) ** 2))
    return day - lunch


_DAY_PEAK = max(_day_shape(step / 10_000) for step in range(10_000))
"""The shape's highest point (about 0.946, in the morning): the lunch dip takes the
cosine's top, so the shape is stretched from its night (0.3) to this to reach 1.0, the
`--rate` asked for."""
_NIGHT = 0.3


def ramp_factor(elapsed_s: float, period_s: float) -> float:
    """A day compressed into `period_s`: quiet night, morning peak, lunch dip, afternoon.

    Returns a multiplier of the base rate between 0.3 and 1.0 (1.0 at the morning peak);
    `period_s` 0 turns the ramp off.
    """
    if period_s <= 0:
        return 1.0
    phase = (elapsed_s % period_s) / period_s
    stretched = _NIGHT + (_day_shape(phase) - _NIGHT) * (1 - _NIGHT) / (_DAY_PEAK - _NIGHT)
    return max(_NIGHT, min(1.0, stretched))


def agent_registration(agent: AgentProfile) -> Mapping[str, Any]:
    """Keyword arguments of `Publisher.register_agent` for this agent."""
    return {"units": agent.units, "profiles": agent.profiles, "skills": agent.skills,
            "attributes": agent.attributes, "queues": agent.queues, "presence": "available"}
