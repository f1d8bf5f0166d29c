"""The event contract: models, codec, topic table, dead letters, derived ids.

Everything other layers need is importable from here:

    from router.contract import decode, encode, DecodeError, derive_id, TOPIC_EVENTS
"""

from __future__ import annotations

from router.contract.codec import DEFAULT_MAX_BYTES, DecodeError, decode, encode
from router.contract.deadletter import (
    DeadLetterRecord,
    dead_letter,
    dead_letter_bytes,
    dead_letter_record,
    tenant_from_key,
)
from router.contract.envelope import SCHEMA_VERSION, UNKNOWN_TENANT, AnyEnvelope, Data, Event
from router.contract.ids import derive_id, record_id
from router.contract.inputs import (
    AgentCapacityChanged,
    AgentItemPicked,
    AgentOfferAccepted,
    AgentOfferDeclined,
    AgentPresenceChanged,
    AgentProfileUpdated,
    AgentQueuesChanged,
    AgentRegistered,
    WorkItemCancelled,
    WorkItemClosed,
    WorkItemCompleted,
    WorkItemCreated,
    WorkItemRequeueRequested,
    WorkItemUpdated,
)
from router.contract.outputs import (
    AgentExcluded,
    AssignmentCreated,
    DeadLetter,
    DeclineRecorded,
    ItemExcluded,
    OfferAccepted,
    OfferDeclined,
    OfferExpired,
    OfferIssued,
    OfferRevoked,
    WorkItemClassificationFailed,
    WorkItemClassified,
    WorkItemOverflowed,
    WorkItemQueued,
    WorkItemRequeued,
)
from router.contract.registry import DATA_TYPES, EVENT_TYPES, INPUT_TYPES, OUTPUT_TYPES
from router.contract.topics import (
    DEFAULT_PREFIX,
    TOPIC_EVENTS,
    TopicContract,
    input_types,
    output_topic,
    topic_events,
)

__all__ = [
    "DATA_TYPES",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_PREFIX",
    "EVENT_TYPES",
    "INPUT_TYPES",
    "OUTPUT_TYPES",
    "SCHEMA_VERSION",
    "TOPIC_EVENTS",
    "UNKNOWN_TENANT",
    "AgentCapacityChanged",
    "AgentExcluded",
    "AgentItemPicked",
    "AgentOfferAccepted",
    "AgentOfferDeclined",
    "AgentPresenceChanged",
    "AgentProfileUpdated",
    "AgentQueuesChanged",
    "AgentRegistered",
    "AnyEnvelope",
    "AssignmentCreated",
    "Data",
    "DeadLetter",
    "DeadLetterRecord",
    "DeclineRecorded",
    "DecodeError",
    "Event",
    "ItemExcluded",
    "OfferAccepted",
    "OfferDeclined",
    "OfferExpired",
    "OfferIssued",
    "OfferRevoked",
    "TopicContract",
    "WorkItemCancelled",
    "WorkItemClassificationFailed",
    "WorkItemClassified",
    "WorkItemClosed",
    "WorkItemCompleted",
    "WorkItemCreated",
    "WorkItemOverflowed",
    "WorkItemQueued",
    "WorkItemRequeueRequested",
    "WorkItemRequeued",
    "WorkItemUpdated",
    "dead_letter",
    "dead_letter_bytes",
    "dead_letter_record",
    "decode",
    "derive_id",
    "encode",
    "input_types",
    "output_topic",
    "record_id",
    "tenant_from_key",
    "topic_events",
]
