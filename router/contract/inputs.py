"""Events the router consumes: from channel connectors and from agent desktops.

Topics (suffixes after the prefix): `work-items` and `offer-responses` are keyed by
`tenant/work_item_id`, `agents` by `tenant/agent_id`. `subject` is that id.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import UNSET, UnsetType

from router.contract.envelope import (
    Count,
    Data,
    Event,
    Id,
    JsonObject,
    Name,
    Number,
    PositiveInt,
    Text,
    UtcTime,
    field_error,
    require_utc_fields,
)

Presence = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=64,
        description="A base presence (available, busy, busy_dnd, away, offline) or a custom "
        "status that the routing configuration maps to a base one.",
    ),
]
Proficiency = (
    Annotated[int, msgspec.Meta(ge=0, le=1_000_000)]
    | Annotated[float, msgspec.Meta(ge=0, le=1_000_000)]
)
Skills = Annotated[
    dict[Name, Proficiency],
    msgspec.Meta(description="Skill name to proficiency (higher is better)."),
]
ProfileLimits = Annotated[
    dict[Name, Count],
    msgspec.Meta(description="Capacity profile name to the number of items it may hold."),
]
Queues = Annotated[list[Id], msgspec.Meta(max_length=1000)]


# --------------------------------------------------------------------------- work items


class WorkItemCreatedData(Data, frozen=True, kw_only=True):
    """A new work item (SPEC C1). Its age counts from the envelope `time`, or from
    `last_interaction_at` for asynchronous messaging (SPEC P1)."""

    workstream: Annotated[
        Id, msgspec.Meta(description="Workstream (distribution policy) the item enters.")
    ]
    channel: Annotated[
        Id | None, msgspec.Meta(description="Channel instance or kind, informative.")
    ] = None
    attributes: Annotated[
        JsonObject, msgspec.Meta(description="Free JSON used by classification rules.")
    ] = msgspec.field(default_factory=dict)
    priority: Annotated[
        Number | None, msgspec.Meta(description="Numeric priority, higher first (SPEC P3).")
    ] = None
    last_interaction_at: UtcTime | None = None
    deadline: Annotated[
        UtcTime | None, msgspec.Meta(description="Business deadline / SLA (SPEC P4).")
    ] = None
    preferred_agents: Annotated[
        list[Id],
        msgspec.Meta(max_length=3, description="Agents tried in order first (SPEC P6)."),
    ] = msgspec.field(default_factory=list)
    affinity_agent: Annotated[
        Id | None, msgspec.Meta(description="Agent the item is bound to (SPEC P6).")
    ] = None
    scheduled_for: Annotated[
        UtcTime | None,
        msgspec.Meta(description="When the item should become eligible (SPEC X4). "
                     "Checked and kept, not acted on yet: the item is eligible at once."),
    ] = None
    ttl_seconds: Annotated[
        PositiveInt | None,
        msgspec.Meta(description="Age in seconds (from `time`) after which a waiting "
                     "or offered item is cancelled with reason ttl_expired (SPEC X3)."),
    ] = None

    def __post_init__(self) -> None:
        require_utc_fields(self, "last_interaction_at", "deadline", "scheduled_for")
        if len(set(self.preferred_agents)) != len(self.preferred_agents):
            raise field_error("preferred_agents", "contains duplicates")


class WorkItemUpdatedData(Data, frozen=True, kw_only=True):
    """Changes to a live item (SPEC C1, C5). An absent field is left unchanged.

    `attributes` is a top-level merge patch: each key replaces the item's value, and a
    `null` value removes the key. `priority: null` clears the priority.
    """

    attributes: Annotated[
        JsonObject | UnsetType,
        msgspec.Meta(description="Merge patch: keys replace, null removes."),
    ] = UNSET
    priority: Number | UnsetType | None = UNSET
    last_interaction_at: UtcTime | UnsetType = UNSET

    def __post_init__(self) -> None:
        require_utc_fields(self, "last_interaction_at")


class WorkItemCancelledData(Data, frozen=True, kw_only=True):
    """The item is withdrawn; pending offers are revoked (SPEC C1, O5). The router
    publishes the same type on the item-status topic once it has applied the cancel,
    and for an item that outlived its `ttl_seconds` with `reason` `ttl_expired` (X3)."""

    reason: Text | None = None


class WorkItemCompletedData(Data, frozen=True, kw_only=True):
    """The work is done; the agent's capacity moves to wrap-up (SPEC C1, M2)."""


class WorkItemClosedData(Data, frozen=True, kw_only=True):
    """Wrap-up is over; the capacity the item held is released (SPEC C1)."""


class WorkItemRequeueRequestedData(Data, frozen=True, kw_only=True):
    """Send an assigned item back to a queue, e.g. a transfer (SPEC O6)."""

    reason: Text | None = None
    agent_id: Annotated[
        Id | None, msgspec.Meta(description="Agent handing the item back, if any.")
    ] = None
    queue: Annotated[
        Id | None, msgspec.Meta(description="Target queue; default: the item's queue.")
    ] = None


class WorkItemCreated(Event[WorkItemCreatedData], frozen=True, tag="work_item.created"):
    """A channel connector created a work item."""


class WorkItemUpdated(Event[WorkItemUpdatedData], frozen=True, tag="work_item.updated"):
    """A channel connector changed a work item's attributes, priority or activity time."""


class WorkItemCancelled(Event[WorkItemCancelledData], frozen=True, tag="work_item.cancelled"):
    """A work item was cancelled (input from a connector, output from the router)."""


class WorkItemCompleted(Event[WorkItemCompletedData], frozen=True, tag="work_item.completed"):
    """A work item was completed (input from a connector, output from the router)."""


class WorkItemClosed(Event[WorkItemClosedData], frozen=True, tag="work_item.closed"):
    """A completed work item's wrap-up ended."""


class WorkItemRequeueRequested(
    Event[WorkItemRequeueRequestedData], frozen=True, tag="work_item.requeue_requested"
):
    """A connector or desktop asked to put an assigned item back in a queue."""


# --------------------------------------------------------------------------- agents


class Capacity(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Unit-based and/or profile-based capacity (SPEC M2)."""

    units: Annotated[Count, msgspec.Meta(description="Total capacity units.")] = 0
    profiles: ProfileLimits = msgspec.field(default_factory=dict)


class AgentRegisteredData(Data, frozen=True, kw_only=True):
    """Full description of an agent; registering again replaces the previous one."""

    capacity: Capacity = msgspec.field(default_factory=Capacity)
    skills: Skills = msgspec.field(default_factory=dict)
    attributes: Annotated[
        JsonObject, msgspec.Meta(description="Labels used by selectors and rulesets.")
    ] = msgspec.field(default_factory=dict)
    queues: Annotated[Queues, msgspec.Meta(description="Queue memberships.")] = msgspec.field(
        default_factory=list
    )
    presence: Presence = "offline"


class AgentPresenceChangedData(Data, frozen=True, kw_only=True):
    """The agent's presence changed (SPEC M1); offline or draining revokes offers (O5)."""

    presence: Presence


class AgentCapacityChangedData(Data, frozen=True, kw_only=True):
    """The agent's total capacity changed at run time. Absent fields are unchanged;
    `profiles` sets the listed profiles' limits and leaves the others as they are."""

    units: Count | UnsetType = UNSET
    profiles: ProfileLimits | UnsetType = UNSET

    def __post_init__(self) -> None:
        if self.units is UNSET and self.profiles is UNSET:
            raise field_error("units", "give units, profiles or both")


class AgentQueuesChangedData(Data, frozen=True, kw_only=True):
    """The agent joined and/or left queues."""

    added: Queues = msgspec.field(default_factory=list)
    removed: Queues = msgspec.field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.added and not self.removed:
            raise field_error("added", "give added, removed or both")
        if set(self.added) & set(self.removed):
            raise field_error("removed", "a queue cannot be both added and removed")


class AgentProfileUpdatedData(Data, frozen=True, kw_only=True):
    """The agent's skills and/or attributes changed. A given field replaces the whole
    previous value; an absent field is unchanged."""

    skills: Skills | UnsetType = UNSET
    attributes: JsonObject | UnsetType = UNSET

    def __post_init__(self) -> None:
        if self.skills is UNSET and self.attributes is UNSET:
            raise field_error("skills", "give skills, attributes or both")


class AgentRegistered(Event[AgentRegisteredData], frozen=True, tag="agent.registered"):
    """An agent was registered (or re-registered) with its full profile."""


class AgentPresenceChanged(
    Event[AgentPresenceChangedData], frozen=True, tag="agent.presence_changed"
):
    """An agent's presence changed."""


class AgentCapacityChanged(
    Event[AgentCapacityChangedData], frozen=True, tag="agent.capacity_changed"
):
    """An agent's capacity changed."""


class AgentQueuesChanged(Event[AgentQueuesChangedData], frozen=True, tag="agent.queues_changed"):
    """An agent's queue memberships changed."""


class AgentProfileUpdated(Event[AgentProfileUpdatedData], frozen=True, tag="agent.profile_updated"):
    """An agent's skills or attributes changed."""


# --------------------------------------------------------------------------- offer responses


class OfferAcceptedData(Data, frozen=True, kw_only=True):
    """The agent accepts the offer (SPEC O1)."""

    offer_id: Id
    agent_id: Id


class OfferDeclinedData(Data, frozen=True, kw_only=True):
    """The agent declines the offer (SPEC O1, O2)."""

    offer_id: Id
    agent_id: Id
    reason: Text | None = None


class ItemPickedData(Data, frozen=True, kw_only=True):
    """The agent takes a queued item by hand, excluded items included (SPEC O3)."""

    agent_id: Id


class AgentOfferAccepted(Event[OfferAcceptedData], frozen=True, tag="agent.offer_accepted"):
    """An agent accepted an offer; subject is the work item id."""


class AgentOfferDeclined(Event[OfferDeclinedData], frozen=True, tag="agent.offer_declined"):
    """An agent declined an offer; subject is the work item id."""


class AgentItemPicked(Event[ItemPickedData], frozen=True, tag="agent.item_picked"):
    """An agent picked a work item manually; subject is the work item id."""


# -- router.timers (internal; key tenant/work_item_id or tenant/queue_id) -------------
# The router's own sweeps publish these when something falls due. Going through Kafka
# gives time-driven work the same guarantee as any input: a worker killed half way
# through gets the event again and re-emits the same outputs.


class OfferDueData(Data, frozen=True, kw_only=True):
    """An offer's deadline has passed without an answer (SPEC O1: a timeout declines)."""

    offer_id: Id
    agent_id: Id


class WrapUpDueData(Data, frozen=True, kw_only=True):
    """A completed item's timed wrap-up is over; its capacity is released (SPEC M2)."""


class ItemExpiredData(Data, frozen=True, kw_only=True):
    """A work item outlived its `ttl_seconds` (SPEC X3): cancelled with reason
    `ttl_expired` unless an agent has it by now (assigned or in wrap-up)."""


class QueueSweepData(Data, frozen=True, kw_only=True):
    """Time alone may have made an assignment possible in this queue: priorities that
    depend on age or deadlines (P4), requirements that expire (C6), records channels
    assigned periodically."""

    queue: Id


class TimerOfferDue(Event[OfferDueData], frozen=True, tag="timer.offer_due"):
    pass


class TimerWrapUpDue(Event[WrapUpDueData], frozen=True, tag="timer.wrap_up_due"):
    pass


class TimerQueueSweep(Event[QueueSweepData], frozen=True, tag="timer.queue_sweep"):
    pass


class TimerItemExpired(Event[ItemExpiredData], frozen=True, tag="timer.item_expired"):
    pass


INPUT_EVENTS: tuple[type[Event[Any]], ...] = (
    WorkItemCreated,
    WorkItemUpdated,
    WorkItemCancelled,
    WorkItemCompleted,
    WorkItemClosed,
    WorkItemRequeueRequested,
    AgentRegistered,
    AgentPresenceChanged,
    AgentCapacityChanged,
    AgentQueuesChanged,
    AgentProfileUpdated,
    AgentOfferAccepted,
    AgentOfferDeclined,
    AgentItemPicked,
    TimerOfferDue,
    TimerWrapUpDue,
    TimerQueueSweep,
    TimerItemExpired,
)
