"""The SDK against the real broker and a real worker: publish, offer, accept, assignment.

Everything goes through `router.client` only: the Publisher sends the agent and the
item, a Subscriber receives the worker's offer, `accept` answers it, and the same
Subscriber sees the assignment that results.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from router.client import Publisher, Subscriber, wait_all
from router.contract.envelope import Event
from router.contract.outputs import AssignmentCreated, OfferIssued
from router.settings import Settings
from tests.integration.conftest import WorkerProcess

WAIT_S = 90.0
"""Upper bound for the worker to react; the machine is shared, so it is generous."""


def next_matching(
    subscriber: Subscriber, predicate: Callable[[Event[Any]], bool], seen: list[Event[Any]]
) -> Event[Any]:
    """The first event satisfying `predicate`, among those already in `seen` (outputs on
    different topics arrive in any order) or received next; every event received is
    kept in `seen`."""
    for event in seen:
        if predicate(event):
            return event
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        event = subscriber.poll(0.5)
        if event is None:
            continue
        seen.append(event)
        if predicate(event):
            return event
    raise AssertionError(f"nothing matching within {WAIT_S}s; received {[e.type for e in seen]}")


@pytest.fixture()
def publisher(settings: Settings, tenant: str) -> Iterator[Publisher]:
    with Publisher.from_settings(settings, tenant=tenant, source="test/client") as the_publisher:
        yield the_publisher


def register_available(publisher: Publisher, agent_id: str, queues: list[str]) -> None:
    wait_all(
        [
            publisher.register_agent(
                agent_id,
                units=100,
                profiles={"chat": 3, "call": 1, "case": 5},
                skills={"en": 5},
                queues=queues,
                presence="available",
            )
        ]
    )


def test_offer_accept_assignment(
    settings: Settings,
    tenant: str,
    publisher: Publisher,
    start_worker: Callable[..., WorkerProcess],
) -> None:
    start_worker()
    with Subscriber.from_settings(settings, tenant=tenant, agents={"ana"}) as subscriber:
        subscriber.wait_assigned()
        register_available(publisher, "ana", ["general"])
        created = publisher.create_item("chat-1", "chat", attributes={"language": "en"})
        delivered = created.result(30)
        assert delivered.key == f"{tenant}/chat-1".encode()
        assert delivered.topic == f"{settings.topic_prefix}work-items"

        seen: list[Event[Any]] = []
        offer = next_matching(subscriber, lambda e: e.type == "offer.issued", seen)
        assert isinstance(offer, OfferIssued)
        assert (offer.tenant, offer.subject, offer.data.agent_id) == (tenant, "chat-1", "ana")
        assert offer.data.queue == "general"

        accepted = publisher.accept(offer).result(30)
        assert accepted.topic == f"{settings.topic_prefix}offer-responses"
        assert accepted.key == f"{tenant}/chat-1".encode()

        assignment = next_matching(subscriber, lambda e: e.type == "assignment.created", seen)
        assert isinstance(assignment, AssignmentCreated)
        assert assignment.subject == "chat-1"
        assert assignment.data.agent_id == "ana"
        assert assignment.data.offer_id == offer.data.offer_id
        outcome = next_matching(subscriber, lambda e: e.type == "offer.accepted", seen)
        assert outcome.data.offer_id == offer.data.offer_id


def test_agent_filter_keeps_only_that_agents_events(
    settings: Settings,
    tenant: str,
    publisher: Publisher,
    start_worker: Callable[..., WorkerProcess],
) -> None:
    """Two agents in disjoint queues (general, vip) get one offer each; a subscriber
    filtered to one agent sees its offer and never the other's, while a tenant-wide
    subscriber sees both."""
    start_worker()
    only_ana = Subscriber.from_settings(settings, tenant=tenant, agents={"ana"})
    only_bo = Subscriber.from_settings(settings, tenant=tenant, agents={"bo"})
    everyone = Subscriber.from_settings(settings, tenant=tenant, types={"offer.issued"})
    try:
        for subscriber in (only_ana, only_bo, everyone):
            subscriber.wait_assigned()
        register_available(publisher, "ana", ["general"])
        register_available(publisher, "bo", ["vip"])
        wait_all(
            [
                publisher.create_item("plain", "chat", attributes={"language": "en"}),
                publisher.create_item("vip", "chat", attributes={"language": "en", "vip": True}),
            ]
        )

        both: list[Event[Any]] = []
        next_matching(everyone, lambda e: e.subject == "plain", both)
        next_matching(everyone, lambda e: e.subject == "vip", both)
        assert {(e.subject, e.data.agent_id) for e in both} == {("plain", "ana"), ("vip", "bo")}

        ana_seen: list[Event[Any]] = []
        bo_seen: list[Event[Any]] = []
        next_matching(only_ana, lambda e: e.type == "offer.issued", ana_seen)
        next_matching(only_bo, lambda e: e.type == "offer.issued", bo_seen)
        # Both offers sit on the same offers topic; the filtered subscribers have read
        # past the other agent's offer only if it came first, so drain briefly as well.
        for subscriber, seen in ((only_ana, ana_seen), (only_bo, bo_seen)):
            end = time.monotonic() + 2.0
            while time.monotonic() < end:
                event = subscriber.poll(0.2)
                if event is not None:
                    seen.append(event)
        assert {e.data.agent_id for e in ana_seen} == {"ana"}
        assert {e.data.agent_id for e in bo_seen} == {"bo"}
        assert [e.subject for e in ana_seen if e.type == "offer.issued"] == ["plain"]
        assert [e.subject for e in bo_seen if e.type == "offer.issued"] == ["vip"]
    finally:
        for subscriber in (only_ana, only_bo, everyone):
            subscriber.close()
