"""Events the router produces (SPEC E1, O1-O6, B1, B4).

Every output carries an id derived from the input event that caused it
(`router.contract.ids.derive_id`), so a redelivered input re-emits byte-identical ids.
Outputs about a work item use the item id as `subject` and travel under the key
`tenant/work_item_id`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from router.contract.envelope import (
    Count,
    Data,
    Event,
    Id,
    JsonObject,
    Name,
    PositiveInt,
    Text,
    UtcTime,
)
from router.contract.inputs import (
    WorkItemCancelled,
    WorkItemCompleted,
)

ConfigVersion = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=128,
        description="Version of the routing configuration the decision used (SPEC B4).",
    ),
]
SortKey = Annotated[
    list[int | float | str | bool | None],
    msgspec.Meta(
        description="The ordering key of a candidate, compared element by element "
        "(e.g. [bucket, -score, last_assigned_at]); meaning depends on `rule`."
    ),
]


# --------------------------------------------------------------------------- offers


class Candidate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One ranked agent in an offer explanation."""

    agent_id: Id
    keys: SortKey


class Explanation(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Why this agent got the offer (SPEC B1)."""

    rule: (
        Annotated[
            str,
            msgspec.Meta(
                max_length=256,
                description="Assignment method or ruleset rule that decided; null if none.",
            ),
        ]
        | None
    ) = None
    candidates_considered: Annotated[
        Count, msgspec.Meta(description="Agents examined before filtering.")
    ]
    filtered: Annotated[
        dict[Name, Count],
        msgspec.Meta(
            description="Condition (e.g. presence, capacity, skills) to the number "
            "of candidates it removed."
        ),
    ] = msgspec.field(default_factory=dict)
    winner: Candidate
    runner_up: Candidate | None = None


class OfferIssuedData(Data, frozen=True, kw_only=True):
    """An offer to one agent, pending accept or decline until `deadline` (SPEC O1).
    Parallel offers (SPEC O4) share a `group_id`."""

    offer_id: Id
    agent_id: Id
    queue: Id
    deadline: UtcTime
    group_id: Id | None = None
    explanation: Explanation
    config_version: ConfigVersion


class OfferAcceptedOutData(Data, frozen=True, kw_only=True):
    """The offer was accepted; an assignment.created follows."""

    offer_id: Id
    agent_id: Id


class OfferDeclinedOutData(Data, frozen=True, kw_only=True):
    """The offer was declined by the agent."""

    offer_id: Id
    agent_id: Id
    reason: Text | None = None


class OfferExpiredData(Data, frozen=True, kw_only=True):
    """Nobody answered before the deadline; counts as a decline (SPEC O1)."""

    offer_id: Id
    agent_id: Id


class OfferRevokedData(Data, frozen=True, kw_only=True):
    """The offer was withdrawn and the capacity it held freed (SPEC O4, O5)."""

    offer_id: Id
    agent_id: Id
    reason: Annotated[
        Name,
        msgspec.Meta(
            description="Why: item_cancelled, agent_unavailable, accepted_elsewhere, "
            "item_requeued or another router-defined word.",
        ),
    ]


class OfferIssued(Event[OfferIssuedData], frozen=True, tag="offer.issued"):
    """The router offered a work item to an agent."""


class OfferAccepted(Event[OfferAcceptedOutData], frozen=True, tag="offer.accepted"):
    """An offer was accepted."""


class OfferDeclined(Event[OfferDeclinedOutData], frozen=True, tag="offer.declined"):
    """An offer was declined."""


class OfferExpired(Event[OfferExpiredData], frozen=True, tag="offer.expired"):
    """An offer timed out."""


class OfferRevoked(Event[OfferRevokedData], frozen=True, tag="offer.revoked"):
    """An offer was revoked."""


# --------------------------------------------------------------------------- assignments


class AssignmentCreatedData(Data, frozen=True, kw_only=True):
    """The item is assigned to the agent; capacity is committed (SPEC M2)."""

    assignment_id: Id
    agent_id: Id
    queue: Id | None = None
    via: Annotated[
        Literal["offer", "direct", "manual_pick"],
        msgspec.Meta(description="Accepted offer, direct assignment mode, or manual pick."),
    ]
    offer_id: Id | None = None
    capacity_units: Count = 0
    capacity_profiles: Annotated[
        dict[Name, Count], msgspec.Meta(description="Profile to the number of slots used.")
    ] = msgspec.field(default_factory=dict)
    config_version: ConfigVersion


class AssignmentCreated(Event[AssignmentCreatedData], frozen=True, tag="assignment.created"):
    """A work item was assigned to an agent."""


# --------------------------------------------------------------------------- declines


class DeclineRecordedData(Data, frozen=True, kw_only=True):
    """A decline or an expiry was counted against the agent for this item (SPEC O2)."""

    agent_id: Id
    offer_id: Id | None = None
    cause: Literal["declined", "expired"]
    agent_declines: Annotated[
        PositiveInt, msgspec.Meta(description="This agent's declines of this item so far.")
    ]
    distinct_decliners: Annotated[
        PositiveInt, msgspec.Meta(description="Distinct agents who declined this item.")
    ]


class AgentExcludedData(Data, frozen=True, kw_only=True):
    """The agent reached the decline limit and is no longer offered this item."""

    agent_id: Id
    declines: PositiveInt
    limit: Annotated[int, msgspec.Meta(ge=1, le=5)]


class ItemExcludedData(Data, frozen=True, kw_only=True):
    """The item left auto-assignment and waits for a manual pick (SPEC O2, O3)."""

    distinct_decliners: PositiveInt


class DeclineRecorded(Event[DeclineRecordedData], frozen=True, tag="decline.recorded"):
    """A decline was recorded."""


class AgentExcluded(Event[AgentExcludedData], frozen=True, tag="agent.excluded"):
    """An agent was excluded from a work item; subject is the work item id."""


class ItemExcluded(Event[ItemExcludedData], frozen=True, tag="item.excluded"):
    """A work item was excluded from auto-assignment."""


# --------------------------------------------------------------------------- item status


class Selector(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A requirement attached to the item by classification (SPEC C6)."""

    key: Name
    operator: Name
    value: Any = None
    expires_at: Annotated[
        UtcTime | None, msgspec.Meta(description="When the selector stops applying.")
    ] = None


class WorkItemClassifiedData(Data, frozen=True, kw_only=True):
    """Route-to-queue rules chose a queue (SPEC C3, C4, C6)."""

    workstream: Id
    queue: Id
    rule: (
        Annotated[
            str,
            msgspec.Meta(max_length=256, description="Matching rule; null for the fallback queue."),
        ]
        | None
    ) = None
    selectors: list[Selector] = msgspec.field(default_factory=list)
    config_version: ConfigVersion


class WorkItemQueuedData(Data, frozen=True, kw_only=True):
    """The item waits in a queue, in a priority bucket (SPEC P2)."""

    queue: Id
    bucket: (
        Annotated[
            str,
            msgspec.Meta(max_length=256, description="Prioritization rule; null: the last bucket."),
        ]
        | None
    ) = None
    config_version: ConfigVersion


class WorkItemClassificationFailedData(Data, frozen=True, kw_only=True):
    """No rule and no fallback queue accepted the item; it is reported, not dropped."""

    workstream: Id | None = None
    reason: Text
    config_version: ConfigVersion


class WorkItemOverflowedData(Data, frozen=True, kw_only=True):
    """An overflow rule fired (SPEC X1, X2). `action: event` asks the connector to act
    (callback, voicemail)."""

    queue: Id
    stage: Literal["before_queue", "in_queue"]
    condition: Annotated[
        Name, msgspec.Meta(description="queue_full, wait_too_long, out_of_hours, ...")
    ]
    action: Literal["queue", "cancel", "assign_anyway", "event"]
    target_queue: Id | None = None
    details: JsonObject = msgspec.field(default_factory=dict)
    config_version: ConfigVersion


class WorkItemRequeuedData(Data, frozen=True, kw_only=True):
    """An assigned item went back to a queue (SPEC O6)."""

    queue: Id
    previous_agent_id: Id | None = None
    reason: Text | None = None
    requeue_count: PositiveInt


class WorkItemClassified(Event[WorkItemClassifiedData], frozen=True, tag="work_item.classified"):
    """A work item was classified into a queue."""


class WorkItemQueued(Event[WorkItemQueuedData], frozen=True, tag="work_item.queued"):
    """A work item was queued."""


class WorkItemClassificationFailed(
    Event[WorkItemClassificationFailedData],
    frozen=True,
    tag="work_item.classification_failed",
):
    """A work item could not be classified."""


class WorkItemOverflowed(Event[WorkItemOverflowedData], frozen=True, tag="work_item.overflowed"):
    """A work item hit an overflow condition."""


class WorkItemRequeued(Event[WorkItemRequeuedData], frozen=True, tag="work_item.requeued"):
    """A work item was put back in a queue."""


# --------------------------------------------------------------------------- dead letter


class Header(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One Kafka record header, value kept exactly (base64 in JSON)."""

    key: str
    value: bytes | None


OmittedPart = Literal["value", "headers", "key"]
"""A part of an input record a dead letter may leave out (router/contract/deadletter.py)."""


class DeadLetterData(Data, frozen=True, kw_only=True):
    """An input record the router could not process, kept byte for byte (Invariant 3)."""

    reason: Annotated[str, msgspec.Meta(max_length=4096)]
    path: (
        Annotated[
            str,
            msgspec.Meta(
                max_length=1024, description="Field path of the fault, e.g. data.priority"
            ),
        ]
        | None
    ) = None
    topic: str
    partition: Annotated[int, msgspec.Meta(ge=0)]
    offset: Annotated[int, msgspec.Meta(ge=0)]
    key: Annotated[bytes | None, msgspec.Meta(description="Original record key.")]
    value: Annotated[bytes | None, msgspec.Meta(description="Original record value.")]
    headers: list[Header] = msgspec.field(default_factory=list)
    record_time: Annotated[
        UtcTime | None, msgspec.Meta(description="The original record's Kafka timestamp.")
    ] = None
    omitted: Annotated[
        list[OmittedPart],
        msgspec.Meta(description=(
            "Parts of the original record left out (null or empty here) because the "
            "dead letter would not fit on the dead-letter topic with them; the reason "
            "says their sizes. Read them from topic, partition and offset while that "
            "topic retains the record.")),
    ] = msgspec.field(default_factory=list)


class DeadLetter(Event[DeadLetterData], frozen=True, tag="dead_letter"):
    """An input record was rejected; subject is `topic/partition/offset`."""


OUTPUT_EVENTS: tuple[type[Event[Any]], ...] = (
    OfferIssued,
    OfferAccepted,
    OfferDeclined,
    OfferExpired,
    OfferRevoked,
    AssignmentCreated,
    DeclineRecorded,
    AgentExcluded,
    ItemExcluded,
    WorkItemClassified,
    WorkItemQueued,
    WorkItemClassificationFailed,
    WorkItemOverflowed,
    WorkItemCancelled,
    WorkItemCompleted,
    WorkItemRequeued,
    DeadLetter,
)
