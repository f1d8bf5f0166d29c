"""One realistic example of every event type.

They are embedded in the JSON Schema files (`examples`), shown in schemas/README.md and
exercised by the tests (schema-valid and decodable), so they double as fixtures.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from router.contract import inputs as i
from router.contract import outputs as o
from router.contract.envelope import SCHEMA_VERSION, Event
from router.contract.ids import derive_id, record_id

TENANT = "contoso"
ITEM = "conv-20250301-0042"
AGENT = "agent-ana"
T0 = datetime(2025, 3, 1, 9, 30, 0, tzinfo=UTC)
OFFER = derive_id("evt-7f3a1c", "offer.issued", 0)
CONNECTOR = "connector/chat-eu-1"
DESKTOP = "desktop/agent-ana"
ROUTER = "router"
CONFIG = "2025-02-28.3"


def _env(
    cls: type[Event[Any]], *, id: str, subject: str, source: str, data: Any, sec: int = 0
) -> Event[Any]:
    return cls(
        id=id,
        tenant=TENANT,
        time=T0.replace(second=sec),
        source=source,
        subject=subject,
        schema_version=SCHEMA_VERSION,
        data=data,
    )


def _out(cls: type[Event[Any]], kind: str, data: Any, sec: int = 1) -> Event[Any]:
    return _env(
        cls, id=derive_id("evt-7f3a1c", kind), subject=ITEM, source=ROUTER, data=data, sec=sec
    )


_WINNER = o.Candidate(agent_id=AGENT, keys=[0, -3, "2025-03-01T09:12:00Z"])
_RUNNER_UP = o.Candidate(agent_id="agent-bo", keys=[0, -3, "2025-03-01T09:20:41Z"])

_ALL: tuple[Event[Any], ...] = (
    _env(
        i.WorkItemCreated,
        id="evt-7f3a1c",
        subject=ITEM,
        source=CONNECTOR,
        data=i.WorkItemCreatedData(
            workstream="chat-support",
            channel="webchat",
            attributes={
                "language": "fr",
                "product": "router-pro",
                "customer_tier": "gold",
                "country": "FR",
                "sentiment": -0.4,
                "topic": "billing",
                "vip": True,
                "order_total": 1249.9,
                "tags": ["refund", "urgent"],
                "previous_agent": None,
            },
            priority=5,
            last_interaction_at=T0,
            deadline=T0.replace(hour=10),
            preferred_agents=[AGENT, "agent-bo"],
            ttl_seconds=3600,
        ),
    ),
    _env(
        i.WorkItemUpdated,
        id="evt-7f3a1d",
        subject=ITEM,
        source=CONNECTOR,
        sec=20,
        data=i.WorkItemUpdatedData(
            attributes={"sentiment": -0.7, "tags": None},
            priority=8,
            last_interaction_at=T0.replace(second=20),
        ),
    ),
    _env(
        i.WorkItemCancelled,
        id="evt-7f3a1e",
        subject=ITEM,
        source=CONNECTOR,
        sec=30,
        data=i.WorkItemCancelledData(reason="customer left the chat"),
    ),
    _env(
        i.WorkItemCompleted,
        id="evt-7f3a1f",
        subject=ITEM,
        source=CONNECTOR,
        sec=40,
        data=i.WorkItemCompletedData(),
    ),
    _env(
        i.WorkItemClosed,
        id="evt-7f3a20",
        subject=ITEM,
        source=CONNECTOR,
        sec=50,
        data=i.WorkItemClosedData(),
    ),
    _env(
        i.WorkItemRequeueRequested,
        id="evt-7f3a21",
        subject=ITEM,
        source=DESKTOP,
        sec=35,
        data=i.WorkItemRequeueRequestedData(
            reason="needs a billing specialist", agent_id=AGENT, queue="billing-tier2"
        ),
    ),
    _env(
        i.AgentRegistered,
        id="evt-a001",
        subject=AGENT,
        source="hr-sync",
        data=i.AgentRegisteredData(
            capacity=i.Capacity(units=100, profiles={"chat": 3, "voice": 1}),
            skills={"french": 8, "billing": 6},
            attributes={"site": "lyon", "senior": True},
            queues=["chat-fr", "billing-tier2"],
            presence="available",
        ),
    ),
    _env(
        i.AgentPresenceChanged,
        id="evt-a002",
        subject=AGENT,
        source=DESKTOP,
        sec=5,
        data=i.AgentPresenceChangedData(presence="in-training"),
    ),
    _env(
        i.AgentCapacityChanged,
        id="evt-a003",
        subject=AGENT,
        source="workforce-mgmt",
        sec=6,
        data=i.AgentCapacityChangedData(units=60, profiles={"chat": 2}),
    ),
    _env(
        i.AgentQueuesChanged,
        id="evt-a004",
        subject=AGENT,
        source="admin-portal",
        sec=7,
        data=i.AgentQueuesChangedData(added=["chat-en"], removed=["billing-tier2"]),
    ),
    _env(
        i.AgentProfileUpdated,
        id="evt-a005",
        subject=AGENT,
        source="admin-portal",
        sec=8,
        data=i.AgentProfileUpdatedData(skills={"french": 9, "billing": 6, "english": 7}),
    ),
    _env(
        i.AgentOfferAccepted,
        id="evt-d001",
        subject=ITEM,
        source=DESKTOP,
        sec=12,
        data=i.OfferAcceptedData(offer_id=OFFER, agent_id=AGENT),
    ),
    _env(
        i.AgentOfferDeclined,
        id="evt-d002",
        subject=ITEM,
        source=DESKTOP,
        sec=12,
        data=i.OfferDeclinedData(offer_id=OFFER, agent_id=AGENT, reason="on a break"),
    ),
    _env(
        i.AgentItemPicked,
        id="evt-d003",
        subject=ITEM,
        source=DESKTOP,
        sec=13,
        data=i.ItemPickedData(agent_id=AGENT),
    ),
    _env(
        i.TimerOfferDue,
        id=derive_id(OFFER, "timer.offer_due"),
        subject=ITEM,
        source=ROUTER,
        sec=14,
        data=i.OfferDueData(offer_id=OFFER, agent_id=AGENT),
    ),
    _env(
        i.TimerWrapUpDue,
        id=derive_id(ITEM, "timer.wrap_up_due"),
        subject=ITEM,
        source=ROUTER,
        sec=15,
        data=i.WrapUpDueData(),
    ),
    _env(
        i.TimerQueueSweep,
        id=derive_id("vip", "timer.queue_sweep", 1740821416),
        subject="vip",
        source=ROUTER,
        sec=16,
        data=i.QueueSweepData(queue="vip"),
    ),
    _env(
        i.TimerItemExpired,
        id=derive_id(ITEM, "timer.item_expired"),
        subject=ITEM,
        source=ROUTER,
        sec=17,
        data=i.ItemExpiredData(),
    ),
    _out(
        o.OfferIssued,
        "offer.issued",
        o.OfferIssuedData(
            offer_id=OFFER,
            agent_id=AGENT,
            queue="chat-fr",
            deadline=T0.replace(minute=31, second=1),
            explanation=o.Explanation(
                rule="longest_idle",
                candidates_considered=14,
                filtered={"presence": 6, "capacity": 3, "skills": 2},
                winner=_WINNER,
                runner_up=_RUNNER_UP,
            ),
            config_version=CONFIG,
        ),
    ),
    _out(o.OfferAccepted, "offer.accepted", o.OfferAcceptedOutData(offer_id=OFFER, agent_id=AGENT)),
    _out(
        o.OfferDeclined,
        "offer.declined",
        o.OfferDeclinedOutData(offer_id=OFFER, agent_id=AGENT, reason="on a break"),
    ),
    _out(o.OfferExpired, "offer.expired", o.OfferExpiredData(offer_id=OFFER, agent_id=AGENT)),
    _out(
        o.OfferRevoked,
        "offer.revoked",
        o.OfferRevokedData(offer_id=OFFER, agent_id=AGENT, reason="item_cancelled"),
    ),
    _out(
        o.AssignmentCreated,
        "assignment.created",
        o.AssignmentCreatedData(
            assignment_id=derive_id("evt-d001", "assignment.created"),
            agent_id=AGENT,
            queue="chat-fr",
            via="offer",
            offer_id=OFFER,
            capacity_units=0,
            capacity_profiles={"chat": 1},
            config_version=CONFIG,
        ),
    ),
    _out(
        o.DeclineRecorded,
        "decline.recorded",
        o.DeclineRecordedData(
            agent_id=AGENT,
            offer_id=OFFER,
            cause="declined",
            agent_declines=2,
            distinct_decliners=4,
        ),
    ),
    _out(
        o.AgentExcluded,
        "agent.excluded",
        o.AgentExcludedData(agent_id=AGENT, declines=3, limit=3),
    ),
    _out(o.ItemExcluded, "item.excluded", o.ItemExcludedData(distinct_decliners=100)),
    _out(
        o.WorkItemClassified,
        "work_item.classified",
        o.WorkItemClassifiedData(
            workstream="chat-support",
            queue="chat-fr",
            rule="french-speakers",
            selectors=[
                o.Selector(
                    key="french",
                    operator="greater_or_equal",
                    value=7,
                    expires_at=T0.replace(minute=32),
                ),
                o.Selector(key="billing", operator="greater_or_equal", value=5),
            ],
            config_version=CONFIG,
        ),
    ),
    _out(
        o.WorkItemQueued,
        "work_item.queued",
        o.WorkItemQueuedData(queue="chat-fr", bucket="vip-first", config_version=CONFIG),
    ),
    _out(
        o.WorkItemClassificationFailed,
        "work_item.classification_failed",
        o.WorkItemClassificationFailedData(
            workstream="chat-support",
            reason="no rule matched and the workstream has no fallback queue",
            config_version=CONFIG,
        ),
    ),
    _out(
        o.WorkItemOverflowed,
        "work_item.overflowed",
        o.WorkItemOverflowedData(
            queue="chat-fr",
            stage="before_queue",
            condition="out_of_hours",
            action="event",
            details={"offer": "callback"},
            config_version=CONFIG,
        ),
    ),
    _out(
        o.WorkItemRequeued,
        "work_item.requeued",
        o.WorkItemRequeuedData(
            queue="billing-tier2", previous_agent_id=AGENT, reason="transfer", requeue_count=1
        ),
    ),
)

# Outputs that share a type with an input (work_item.cancelled, work_item.completed)
# are shown once, as the connector sends them.

_DEAD_LETTER = o.DeadLetter(
    id=record_id("router.work-items", 2, 1187),
    tenant=TENANT,
    time=T0.replace(second=2),
    source=ROUTER,
    subject="router.work-items/2/1187",
    schema_version=SCHEMA_VERSION,
    data=o.DeadLetterData(
        reason="Expected int | float | null, got str",
        path="data.priority",
        topic="router.work-items",
        partition=2,
        offset=1187,
        key=f"{TENANT}/{ITEM}".encode(),
        value=b'{"type":"work_item.created","data":{"priority":"high"}}',
        headers=[o.Header(key="traceparent", value=b"00-4bf92f3577b34da6-00f067aa0ba902b7-01")],
        record_time=T0.replace(second=1),
    ),
)

EXAMPLES: dict[str, Event[Any]] = {event.type: event for event in (*_ALL, _DEAD_LETTER)}
"""Event type -> a complete example event."""
