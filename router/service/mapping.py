"""Input events -> the core's snapshots. Only shapes change here; no decisions."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import msgspec

from router.config.model import Workstream
from router.contract import inputs as i
from router.core.types import AgentState, WorkItem


def ts(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


def new_work_item(event: i.WorkItemCreated, workstream: Workstream | None) -> WorkItem:
    data = event.data
    return WorkItem(
        id=event.subject,
        tenant=event.tenant,
        workstream=data.workstream,
        channel=workstream.channel if workstream is not None else "messaging",
        attributes=dict(data.attributes),
        priority=data.priority,
        created_at=event.time.timestamp(),
        last_interaction_at=ts(data.last_interaction_at),
        deadline=ts(data.deadline),
        preferred_agents=tuple(data.preferred_agents),
        affinity_agent=data.affinity_agent,
    )


def updated_work_item(item: WorkItem, data: i.WorkItemUpdatedData) -> WorkItem:
    """A merge patch (C1, C5): given keys replace, null removes, absent keeps."""
    attributes = dict(item.attributes)
    if not isinstance(data.attributes, msgspec.UnsetType):
        for key, value in data.attributes.items():
            if value is None:
                attributes.pop(key, None)
            else:
                attributes[key] = value
    priority = item.priority if isinstance(data.priority, msgspec.UnsetType) else data.priority
    last = (item.last_interaction_at if isinstance(data.last_interaction_at, msgspec.UnsetType)
            else data.last_interaction_at.timestamp())
    return msgspec.structs.replace(item, attributes=attributes, priority=priority,
                                   last_interaction_at=last)


def registered_agent(event: i.AgentRegistered, previous: AgentState | None,
                     now: float, base_presence: str) -> AgentState:
    """Registration replaces the description but keeps the history the methods rank
    by (last assignments, joins, releases), so re-registering is not a reset."""
    data = event.data
    queues = tuple(dict.fromkeys(data.queues))
    joined = {q: (previous.joined_at.get(q, now) if previous else now) for q in queues}
    return AgentState(
        id=event.subject,
        tenant=event.tenant,
        presence=data.presence,
        total_units=data.capacity.units,
        used_units=previous.used_units if previous else 0,
        profile_limits=dict(data.capacity.profiles),
        profile_used=dict(previous.profile_used) if previous else {},
        skills=_skills(data.skills),
        attributes=dict(data.attributes),
        queues=queues,
        last_assigned_at=dict(previous.last_assigned_at) if previous else {},
        joined_at=joined,
        last_capacity_release_at=previous.last_capacity_release_at if previous else None,
        available_since=_available_since(previous, base_presence, now),
    )


def _skills(skills: Mapping[str, float]) -> dict[str, float]:
    """The core compares proficiencies as numbers; a connector's 3.5 stays 3.5."""
    return dict(skills)


def _available_since(previous: AgentState | None, base_presence: str, now: float) -> float | None:
    if base_presence != "available":
        return None
    if previous is not None and previous.available_since is not None:
        return previous.available_since
    return now


def with_presence(agent: AgentState, presence: str, base_presence: str,
                  now: float) -> AgentState:
    return msgspec.structs.replace(
        agent, presence=presence, available_since=_available_since(agent, base_presence, now)
    )


def with_capacity(agent: AgentState, data: i.AgentCapacityChangedData) -> AgentState:
    units = agent.total_units if isinstance(data.units, msgspec.UnsetType) else data.units
    profiles = dict(agent.profile_limits)
    if not isinstance(data.profiles, msgspec.UnsetType):
        profiles.update(data.profiles)
    return msgspec.structs.replace(agent, total_units=units, profile_limits=profiles)


def with_queues(agent: AgentState, data: i.AgentQueuesChangedData, now: float) -> AgentState:
    queues = [q for q in agent.queues if q not in data.removed]
    queues += [q for q in data.added if q not in queues]
    joined = {q: agent.joined_at.get(q, now) for q in queues}
    return msgspec.structs.replace(agent, queues=tuple(queues), joined_at=joined)


def with_profile(agent: AgentState, data: i.AgentProfileUpdatedData) -> AgentState:
    skills = agent.skills if isinstance(data.skills, msgspec.UnsetType) else _skills(data.skills)
    attributes = (agent.attributes if isinstance(data.attributes, msgspec.UnsetType)
                  else dict(data.attributes))
    return msgspec.structs.replace(agent, skills=skills, attributes=attributes)
