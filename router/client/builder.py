"""One method per event a connector or an agent desktop sends, defined once.

`EventBuilder` turns keyword arguments into a contract event; what happens to the event
is the subclass's `_emit`: `Events` checks it and hands it back (no I/O: for tests,
simulations, or producing with one's own client), `Publisher` checks and sends it and
hands back the delivery future. Both therefore accept and reject exactly the same input.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

import msgspec
from msgspec import UNSET, UnsetType

from router.client.checking import build_data, build_event, checked_bytes
from router.client.errors import InvalidEvent
from router.client.routing import input_topics
from router.contract.codec import DEFAULT_MAX_BYTES
from router.contract.envelope import Event, TenantId
from router.contract.ids import derive_id
from router.contract.inputs import (
    AgentCapacityChanged,
    AgentCapacityChangedData,
    AgentItemPicked,
    AgentOfferAccepted,
    AgentOfferDeclined,
    AgentPresenceChanged,
    AgentPresenceChangedData,
    AgentProfileUpdated,
    AgentProfileUpdatedData,
    AgentQueuesChanged,
    AgentQueuesChangedData,
    AgentRegistered,
    AgentRegisteredData,
    Capacity,
    ItemPickedData,
    OfferAcceptedData,
    OfferDeclinedData,
    WorkItemCancelled,
    WorkItemCancelledData,
    WorkItemClosed,
    WorkItemClosedData,
    WorkItemCompleted,
    WorkItemCompletedData,
    WorkItemCreated,
    WorkItemCreatedData,
    WorkItemRequeueRequested,
    WorkItemRequeueRequestedData,
    WorkItemUpdated,
    WorkItemUpdatedData,
)
from router.contract.outputs import OfferIssued

DEFAULT_SOURCE = "router-client/python"
CLIENT_TYPES = frozenset(input_topics())
"""Event types a client may send (timers are the router's own)."""

R = TypeVar("R")
Source = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
"""The envelope's `source` constraint (checked once, when the builder is made)."""


class EventBuilder(ABC, Generic[R]):
    """Builders for one tenant's events (offer responses take the offer's tenant).

    Every builder takes `event_id` (default: a fresh UUID; pass the same id to retry
    idempotently) and `at` (the envelope time, default now, must be UTC).
    """

    def __init__(
        self, *, tenant: str, source: str = DEFAULT_SOURCE, max_event_bytes: int = DEFAULT_MAX_BYTES
    ) -> None:
        for name, value, kind in (("tenant", tenant, TenantId), ("source", source, Source)):
            try:
                msgspec.convert(value, kind)
            except msgspec.ValidationError as exc:
                raise ValueError(f"{name}: {value!r} is not valid: {exc}") from None
        if max_event_bytes < 1:
            raise ValueError(f"max_event_bytes: must be at least 1, not {max_event_bytes}")
        self.tenant = tenant
        self.source = source
        self.max_event_bytes = max_event_bytes

    @abstractmethod
    def _emit(self, event: Event[Any]) -> R:
        """What to do with a built event (check it, and send it or hand it back)."""

    def check(self, event: Event[Any]) -> bytes:
        """The event's wire form if the router would accept it, else `InvalidEvent`."""
        if event.type not in CLIENT_TYPES:
            raise InvalidEvent(event.type, "type", "clients cannot publish this event type")
        return checked_bytes(event, max_bytes=self.max_event_bytes, types=CLIENT_TYPES)

    def _send(
        self,
        cls: type[Event[Any]],
        subject: str,
        data: Any,
        event_id: str | None,
        at: datetime | None,
        tenant: str | None = None,
    ) -> R:
        event = build_event(
            cls,
            tenant=self.tenant if tenant is None else tenant,
            subject=subject,
            source=self.source,
            data=data,
            event_id=event_id,
            at=at,
        )
        return self._emit(event)

    # ------------------------------------------------------------------ work items (connectors)

    def create_item(
        self,
        item_id: str,
        workstream: str,
        *,
        channel: str | None = None,
        attributes: Mapping[str, Any] | None = None,
        priority: int | float | None = None,
        last_interaction_at: datetime | None = None,
        deadline: datetime | None = None,
        preferred_agents: Sequence[str] = (),
        affinity_agent: str | None = None,
        scheduled_for: datetime | None = None,
        ttl_seconds: int | None = None,
        event_id: str | None = None,
        at: datetime | None = None,
    ) -> R:
        """A new work item entering `workstream` (work_item.created)."""
        data = build_data(
            "work_item.created",
            WorkItemCreatedData,
            workstream=workstream,
            channel=channel,
            attributes=dict(attributes or {}),
            priority=priority,
            last_interaction_at=last_interaction_at,
            deadline=deadline,
            preferred_agents=_ids("work_item.created", "data.preferred_agents",
                                  preferred_agents),
            affinity_agent=affinity_agent,
            scheduled_for=scheduled_for,
            ttl_seconds=ttl_seconds,
        )
        return self._send(WorkItemCreated, item_id, data, event_id, at)

    def update_item(
        self,
        item_id: str,
        *,
        attributes: Mapping[str, Any] | UnsetType = UNSET,
        priority: int | float | UnsetType | None = UNSET,
        last_interaction_at: datetime | UnsetType = UNSET,
        event_id: str | None = None,
        at: datetime | None = None,
    ) -> R:
        """Change a live item; omitted fields stay. `attributes` is a merge patch (a None
        value removes the key); `priority=None` clears the priority."""
        data = build_data(
            "work_item.updated",
            WorkItemUpdatedData,
            attributes=attributes if isinstance(attributes, UnsetType) else dict(attributes),
            priority=priority,
            last_interaction_at=last_interaction_at,
        )
        return self._send(WorkItemUpdated, item_id, data, event_id, at)

    def cancel_item(
        self,
        item_id: str,
        *,
        reason: str | None = None,
        event_id: str | None = None,
        at: datetime | None = None,
    ) -> R:
        """Withdraw an item (the customer left); pending offers are revoked."""
        data = build_data("work_item.cancelled", WorkItemCancelledData, reason=reason)
        return self._send(WorkItemCancelled, item_id, data, event_id, at)

    def complete_item(
        self, item_id: str, *, event_id: str | None = None, at: datetime | None = None
    ) -> R:
        """The work is done; the agent's capacity moves to wrap-up."""
        data = build_data("work_item.completed", WorkItemCompletedData)
        return self._send(WorkItemCompleted, item_id, data, event_id, at)

    def close_item(
        self, item_id: str, *, event_id: str | None = None, at: datetime | None = None
    ) -> R:
        """Wrap-up is over; the capacity the item held is released."""
        data = build_data("work_item.closed", WorkItemClosedData)
        return self._send(WorkItemClosed, item_id, data, event_id, at)

    def requeue_item(
        self,
        item_id: str,
        *,
        reason: str | None = None,
        agent_id: str | None = None,
        queue: str | None = None,
        event_id: str | None = None,
        at: datetime | None = None,
    ) -> R:
        """Send an assigned item back to a queue (a transfer); default: its own queue."""
        data = build_data(
            "work_item.requeue_requested",
            WorkItemRequeueRequestedData,
            reason=reason,
            agent_id=agent_id,
            queue=queue,
        )
        return self._send(WorkItemRequeueRequested, item_id, data, event_id, at)

    # ------------------------------------------------------------------ agents (desktops)

    def register_agent(
        self,
        agent_id: str,
        *,
        units: int = 0,
        profiles: Mapping[str, int] | None = None,
        skills: Mapping[str, int | float] | None = None,
        attributes: Mapping[str, Any] | None = None,
        queues: Sequence[str] = (),
        presence: str = "offline",
        event_id: str | None = None,
        at: datetime | None = None,
    ) -> R:
        """Describe an agent in full; registering again replaces the previous profile."""
        capacity = build_data(
            "agent.registered", Capacity, units=units, profiles=dict(profiles or {})
        )
        data = build_data(
            "agent.registered",
            AgentRegisteredData,
            capacity=capacity,
            skills=dict(skills or {}),
            attributes=dict(attributes or {}),
            queues=_ids("agent.registered", "data.queues", queues),
            presence=presence,
        )
        return self._send(AgentRegistered, agent_id, data, event_id, at)

    def set_presence(
        self,
        agent_id: str,
        presence: str,
        *,
        event_id: str | None = None,
        at: datetime | None = None,
    ) -> R:
        """A base presence (available, busy, away, offline, ...) or a custom status that
        the tenant's routing configuration maps to one."""
        data = build_data("agent.presence_changed", AgentPresenceChangedData, presence=presence)
        return self._send(AgentPresenceChanged, agent_id, data, event_id, at)

    def set_capacity(
        self,
        agent_id: str,
        *,
        units: int | UnsetType = UNSET,
        profiles: Mapping[str, int] | UnsetType = UNSET,
        event_id: str | None = None,
        at: datetime | None = None,
    ) -> R:
        """Change total capacity; omitted fields stay, listed profiles are set."""
        data = build_data(
            "agent.capacity_changed",
            AgentCapacityChangedData,
            units=units,
            profiles=profiles if isinstance(profiles, UnsetType) else dict(profiles),
        )
        return self._send(AgentCapacityChanged, agent_id, data, event_id, at)

    def change_queues(
        self,
        agent_id: str,
        *,
        added: Sequence[str] = (),
        removed: Sequence[str] = (),
        event_id: str | None = None,
        at: datetime | None = None,
    ) -> R:
        """Join and/or leave queues."""
        data = build_data(
            "agent.queues_changed", AgentQueuesChangedData,
            added=_ids("agent.queues_changed", "data.added", added),
            removed=_ids("agent.queues_changed", "data.removed", removed),
        )
        return self._send(AgentQueuesChanged, agent_id, data, event_id, at)

    def update_profile(
        self,
        agent_id: str,
        *,
        skills: Mapping[str, int | float] | UnsetType = UNSET,
        attributes: Mapping[str, Any] | UnsetType = UNSET,
        event_id: str | None = None,
        at: datetime | None = None,
    ) -> R:
        """Replace the agent's skills and/or attributes; an omitted one is unchanged."""
        data = build_data(
            "agent.profile_updated",
            AgentProfileUpdatedData,
            skills=skills if isinstance(skills, UnsetType) else dict(skills),
            attributes=attributes if isinstance(attributes, UnsetType) else dict(attributes),
        )
        return self._send(AgentProfileUpdated, agent_id, data, event_id, at)

    # ------------------------------------------------------------------ offer responses

    def accept(
        self, offer: OfferIssued, *, event_id: str | None = None, at: datetime | None = None
    ) -> R:
        """Accept a received offer.issued. The default event id is derived from the offer,
        so accepting the same offer twice (a retry) counts once."""
        _require_offer(offer, "accept")
        data = build_data(
            "agent.offer_accepted",
            OfferAcceptedData,
            offer_id=offer.data.offer_id,
            agent_id=offer.data.agent_id,
        )
        return self._send(
            AgentOfferAccepted,
            offer.subject,
            data,
            event_id or derive_id(offer.id, "agent.offer_accepted"),
            at,
            tenant=offer.tenant,
        )

    def decline(
        self,
        offer: OfferIssued,
        reason: str | None = None,
        *,
        event_id: str | None = None,
        at: datetime | None = None,
    ) -> R:
        """Decline a received offer.issued (counts toward the decline limit)."""
        _require_offer(offer, "decline")
        data = build_data(
            "agent.offer_declined",
            OfferDeclinedData,
            offer_id=offer.data.offer_id,
            agent_id=offer.data.agent_id,
            reason=reason,
        )
        return self._send(
            AgentOfferDeclined,
            offer.subject,
            data,
            event_id or derive_id(offer.id, "agent.offer_declined"),
            at,
            tenant=offer.tenant,
        )

    def pick_item(
        self,
        item_id: str,
        agent_id: str,
        *,
        event_id: str | None = None,
        at: datetime | None = None,
    ) -> R:
        """The agent takes a queued item by hand (SPEC O3), in this builder's tenant."""
        data = build_data("agent.item_picked", ItemPickedData, agent_id=agent_id)
        return self._send(AgentItemPicked, item_id, data, event_id, at)


def _ids(event_type: str, field: str, ids: Sequence[str]) -> list[str]:
    """The ids as a list; one string is refused rather than taken for its characters
    (`queues="general"` would otherwise join seven one-letter queues)."""
    if isinstance(ids, str | bytes):
        raise InvalidEvent(event_type, field, f"a list of ids, not one string ({ids!r}); "
                           f"write [{ids!r}]")
    return list(ids)


def _require_offer(offer: object, what: str) -> None:
    if not isinstance(offer, OfferIssued):
        kind = getattr(offer, "type", type(offer).__name__)
        raise TypeError(f"{what}: expects a received offer.issued event, not {kind}")


class Events(EventBuilder[Event[Any]]):
    """The builders without Kafka: each returns the checked contract event."""

    def _emit(self, event: Event[Any]) -> Event[Any]:
        self.check(event)
        return event
