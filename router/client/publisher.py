"""Publish connector and agent-desktop events to the router's input topics.

One confluent-kafka producer per Publisher, configured the way the router relies on:
idempotent (a retried batch is never written twice, and order per partition holds), and
the murmur2 partitioner, which is what aiokafka/Faust use, so a key lands on the same
partition whoever produces it (DESIGN.md). Every send returns a future resolved by the
delivery report; a background thread serves those reports so `result()` never waits for
the caller to poll.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, Producer
from msgspec import UNSET, UnsetType

from router.client.checking import build_data, build_event, checked_bytes
from router.client.errors import DeliveryError, InvalidEvent
from router.client.routing import input_topics
from router.contract.codec import DEFAULT_MAX_BYTES
from router.contract.envelope import Event
from router.contract.ids import derive_id
from router.contract.inputs import (
    AgentCapacityChanged,
    AgentCapacityChangedData,
    AgentOfferAccepted,
    AgentOfferDeclined,
    AgentPresenceChanged,
    AgentPresenceChangedData,
    AgentQueuesChanged,
    AgentQueuesChangedData,
    AgentRegistered,
    AgentRegisteredData,
    Capacity,
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
    WorkItemUpdated,
    WorkItemUpdatedData,
)
from router.contract.outputs import OfferIssued
from router.contract.topics import DEFAULT_PREFIX
from router.settings import Settings

DEFAULT_SOURCE = "router-client/python"
FIXED_PRODUCER_SETTINGS = {"enable.idempotence": True, "partitioner": "murmur2_random"}
"""What the router depends on; `producer_config` may not change these."""


@dataclass(frozen=True)
class Delivered:
    """Where Kafka stored an event (the successful result of a send's future)."""

    event_id: str
    event_type: str
    topic: str
    partition: int
    offset: int
    key: bytes


Delivery = Future[Delivered]
"""A send's outcome: `result()` gives `Delivered` or raises `DeliveryError`."""


class Publisher:
    """Sends input events for one tenant (offer responses use the offer's tenant).

    Use as a context manager, or call `close()`, so queued events are flushed.
    """

    def __init__(
        self,
        bootstrap: str,
        *,
        tenant: str,
        topic_prefix: str = DEFAULT_PREFIX,
        source: str = DEFAULT_SOURCE,
        max_event_bytes: int = DEFAULT_MAX_BYTES,
        producer_config: Mapping[str, Any] | None = None,
    ) -> None:
        overridden = sorted(set(producer_config or {}) & set(FIXED_PRODUCER_SETTINGS))
        if overridden:
            raise ValueError(
                f"producer_config: {overridden} cannot be changed (the router relies on "
                "an idempotent producer and the murmur2 partitioner)"
            )
        self.tenant = tenant
        self.source = source
        self.max_event_bytes = max_event_bytes
        self._topics = input_topics(topic_prefix)
        self._types = frozenset(self._topics)
        config: dict[str, Any] = {
            "bootstrap.servers": bootstrap,
            "acks": "all",
            "linger.ms": 5,
            "client.id": source,
            **(producer_config or {}),
            **FIXED_PRODUCER_SETTINGS,
        }
        self._producer = Producer(config)
        self._closed = threading.Event()
        self._poller = threading.Thread(target=self._serve_reports, name="publisher-reports",
                                        daemon=True)
        self._poller.start()

    @classmethod
    def from_settings(cls, settings: Settings, *, tenant: str, **options: Any) -> Publisher:
        """Bootstrap, topic prefix and event size limit from `ROUTER_*` settings."""
        options.setdefault("max_event_bytes", settings.max_event_bytes)
        return cls(settings.kafka_bootstrap, tenant=tenant, topic_prefix=settings.topic_prefix,
                   **options)

    # ------------------------------------------------------------------ plumbing

    def _serve_reports(self) -> None:
        while not self._closed.is_set():
            self._producer.poll(0.1)

    def publish(self, event: Event[Any]) -> Delivery:
        """Check and send any client input event; the builders below all end here.

        Raises `InvalidEvent` at once for an event the router would reject. Blocks while
        the producer's local queue is full (back-pressure) rather than failing.
        """
        if self._closed.is_set():
            raise RuntimeError("publisher is closed")
        topic = self._topics.get(event.type)
        if topic is None:
            raise InvalidEvent(event.type, "type", "clients cannot publish this event type")
        raw = checked_bytes(event, max_bytes=self.max_event_bytes, types=self._types)
        future: Delivery = Future()
        future.set_running_or_notify_cancel()
        key = event.key

        def report(err: KafkaError | None, msg: Message) -> None:
            if err is None:
                partition, offset = msg.partition(), msg.offset()
                future.set_result(Delivered(event.id, event.type, topic,
                                            -1 if partition is None else partition,
                                            -1 if offset is None else offset, key))
            else:
                future.set_exception(_delivery_error(event, topic, key, err))

        while True:
            try:
                self._producer.produce(topic, value=raw, key=key, on_delivery=report)
                return future
            except BufferError:
                self._producer.poll(0.05)  # queue full: wait for reports to free room
            except KafkaException as exc:
                future.set_exception(_delivery_error(event, topic, key, exc.args[0]))
                return future

    def flush(self, timeout: float = 30.0) -> int:
        """Wait for outstanding deliveries; returns how many are still undelivered."""
        remaining: int = self._producer.flush(timeout)
        return remaining

    def close(self, timeout: float = 30.0) -> int:
        """Flush, then stop the report thread. Returns undelivered events (0 is clean)."""
        if self._closed.is_set():
            return 0
        remaining = self.flush(timeout)
        self._closed.set()
        self._poller.join()
        return remaining

    def __enter__(self) -> Publisher:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def _send(self, cls: type[Event[Any]], subject: str, data: Any, event_id: str | None,
              at: datetime | None, tenant: str | None = None) -> Delivery:
        event = build_event(cls, tenant=self.tenant if tenant is None else tenant,
                            subject=subject, source=self.source, data=data,
                            event_id=event_id, at=at)
        return self.publish(event)

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
    ) -> Delivery:
        """A new work item entering `workstream` (work_item.created)."""
        data = build_data(
            "work_item.created", WorkItemCreatedData, workstream=workstream, channel=channel,
            attributes=dict(attributes or {}), priority=priority,
            last_interaction_at=last_interaction_at, deadline=deadline,
            preferred_agents=list(preferred_agents), affinity_agent=affinity_agent,
            scheduled_for=scheduled_for, ttl_seconds=ttl_seconds,
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
    ) -> Delivery:
        """Change a live item; omitted fields stay. `attributes` is a merge patch (a None
        value removes the key); `priority=None` clears the priority."""
        data = build_data(
            "work_item.updated", WorkItemUpdatedData,
            attributes=attributes if isinstance(attributes, UnsetType) else dict(attributes),
            priority=priority, last_interaction_at=last_interaction_at,
        )
        return self._send(WorkItemUpdated, item_id, data, event_id, at)

    def cancel_item(self, item_id: str, *, reason: str | None = None,
                    event_id: str | None = None, at: datetime | None = None) -> Delivery:
        """Withdraw an item (the customer left); pending offers are revoked."""
        data = build_data("work_item.cancelled", WorkItemCancelledData, reason=reason)
        return self._send(WorkItemCancelled, item_id, data, event_id, at)

    def complete_item(self, item_id: str, *, event_id: str | None = None,
                      at: datetime | None = None) -> Delivery:
        """The work is done; the agent's capacity moves to wrap-up."""
        data = build_data("work_item.completed", WorkItemCompletedData)
        return self._send(WorkItemCompleted, item_id, data, event_id, at)

    def close_item(self, item_id: str, *, event_id: str | None = None,
                   at: datetime | None = None) -> Delivery:
        """Wrap-up is over; the capacity the item held is released."""
        data = build_data("work_item.closed", WorkItemClosedData)
        return self._send(WorkItemClosed, item_id, data, event_id, at)

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
    ) -> Delivery:
        """Describe an agent in full; registering again replaces the previous profile."""
        capacity = build_data("agent.registered", Capacity, units=units,
                              profiles=dict(profiles or {}))
        data = build_data(
            "agent.registered", AgentRegisteredData, capacity=capacity,
            skills=dict(skills or {}), attributes=dict(attributes or {}), queues=list(queues),
            presence=presence,
        )
        return self._send(AgentRegistered, agent_id, data, event_id, at)

    def set_presence(self, agent_id: str, presence: str, *, event_id: str | None = None,
                     at: datetime | None = None) -> Delivery:
        """available, busy, busy-dnd, away, offline, or a custom status of the config."""
        data = build_data("agent.presence_changed", AgentPresenceChangedData,
                          presence=presence)
        return self._send(AgentPresenceChanged, agent_id, data, event_id, at)

    def set_capacity(
        self,
        agent_id: str,
        *,
        units: int | UnsetType = UNSET,
        profiles: Mapping[str, int] | UnsetType = UNSET,
        event_id: str | None = None,
        at: datetime | None = None,
    ) -> Delivery:
        """Change total capacity; omitted fields stay, listed profiles are set."""
        data = build_data(
            "agent.capacity_changed", AgentCapacityChangedData, units=units,
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
    ) -> Delivery:
        """Join and/or leave queues."""
        data = build_data("agent.queues_changed", AgentQueuesChangedData, added=list(added),
                          removed=list(removed))
        return self._send(AgentQueuesChanged, agent_id, data, event_id, at)

    # ------------------------------------------------------------------ offer responses

    def accept(self, offer: OfferIssued, *, event_id: str | None = None,
               at: datetime | None = None) -> Delivery:
        """Accept a received offer.issued. The default event id is derived from the offer,
        so accepting the same offer twice (a retry) counts once."""
        data = build_data("agent.offer_accepted", OfferAcceptedData,
                          offer_id=offer.data.offer_id, agent_id=offer.data.agent_id)
        return self._send(AgentOfferAccepted, offer.subject, data,
                          event_id or derive_id(offer.id, "agent.offer_accepted"), at,
                          tenant=offer.tenant)

    def decline(self, offer: OfferIssued, reason: str | None = None, *,
                event_id: str | None = None, at: datetime | None = None) -> Delivery:
        """Decline a received offer.issued (counts toward the decline limit)."""
        data = build_data("agent.offer_declined", OfferDeclinedData,
                          offer_id=offer.data.offer_id, agent_id=offer.data.agent_id,
                          reason=reason)
        return self._send(AgentOfferDeclined, offer.subject, data,
                          event_id or derive_id(offer.id, "agent.offer_declined"), at,
                          tenant=offer.tenant)


def _delivery_error(event: Event[Any], topic: str, key: bytes, err: KafkaError) -> DeliveryError:
    return DeliveryError(event_type=event.type, event_id=event.id, topic=topic, key=key,
                         code=err.name(), reason=err.str(), retriable=err.retriable())


def wait_all(deliveries: Sequence[Delivery], timeout: float = 30.0) -> list[Delivered]:
    """Results of many sends, raising the first `DeliveryError`; a helper for scripts."""
    deadline = time.monotonic() + timeout
    return [d.result(max(0.0, deadline - time.monotonic())) for d in deliveries]
