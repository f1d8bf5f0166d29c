"""The topic table and derived ids."""

from __future__ import annotations

import uuid

import pytest

from router.contract import (
    EVENT_TYPES,
    INPUT_TYPES,
    OUTPUT_TYPES,
    TOPIC_EVENTS,
    derive_id,
    input_types,
    output_topic,
    record_id,
    topic_events,
)
from router.contract.examples import EXAMPLES


def test_every_event_type_is_on_a_topic_and_only_known_types_are() -> None:
    on_topics = set().union(*(spec.event_types for spec in TOPIC_EVENTS.values()))
    assert on_topics == set(EVENT_TYPES)
    assert set(EVENT_TYPES) == INPUT_TYPES | OUTPUT_TYPES


def test_topic_names_and_keys() -> None:
    assert list(TOPIC_EVENTS) == [
        "router.work-items",
        "router.agents",
        "router.offer-responses",
        "router.timers",
        "router.offers",
        "router.assignments",
        "router.declines",
        "router.item-status",
        "router.dead-letter",
    ]
    assert TOPIC_EVENTS["router.agents"].key == "tenant/agent_id"
    assert TOPIC_EVENTS["router.offer-responses"].key == "tenant/work_item_id"
    assert {s.direction for s in TOPIC_EVENTS.values() if s.suffix in {"work-items", "agents"}} == {
        "in"
    }


def test_prefix_is_a_parameter() -> None:
    table = topic_events("acme.router.")
    assert "acme.router.work-items" in table
    assert table["acme.router.offers"].event_types == TOPIC_EVENTS["router.offers"].event_types
    assert output_topic("offer.issued", "acme.router.") == "acme.router.offers"


def test_output_topics() -> None:
    assert output_topic("offer.issued") == "router.offers"
    assert output_topic("assignment.created") == "router.assignments"
    assert output_topic("agent.excluded") == "router.declines"
    assert output_topic("work_item.cancelled") == "router.item-status"
    assert output_topic("dead_letter") == "router.dead-letter"
    with pytest.raises(KeyError):
        output_topic("work_item.created")


def test_input_types() -> None:
    assert "work_item.requeue_requested" in input_types("work-items")
    assert input_types("offer-responses") == {
        "agent.offer_accepted",
        "agent.offer_declined",
        "agent.item_picked",
    }
    with pytest.raises(KeyError):
        input_types("offers")


def test_examples_use_the_key_of_their_topic() -> None:
    for event_type, event in EXAMPLES.items():
        if event_type.startswith("agent.") and event_type in input_types("agents"):
            assert event.subject.startswith("agent-")
        elif event_type == "timer.queue_sweep":
            assert event.subject == event.data.queue
        elif event_type != "dead_letter":
            assert event.subject.startswith("conv-")


def test_derive_id_is_deterministic_and_distinct() -> None:
    first = derive_id("evt-1", "offer.issued", 0)
    assert first == derive_id("evt-1", "offer.issued", 0)
    assert uuid.UUID(first).version == 5
    others = {
        derive_id("evt-1", "offer.issued", 1),
        derive_id("evt-1", "offer.revoked", 0),
        derive_id("evt-2", "offer.issued", 0),
        derive_id("evt-1offer.issued", "", 0),
        record_id("router.work-items", 0, 1),
    }
    assert first not in others
    assert len(others) == 5
    with pytest.raises(ValueError, match="index"):
        derive_id("evt-1", "x", -1)


def test_derived_ids_are_pinned() -> None:
    """Changing the namespace or the recipe would re-key every output: forbid it."""
    assert derive_id("evt-1", "offer.issued", 0) == PINNED


PINNED = "9ad22751-e4d0-59c5-8a71-539385f21cbb"


@pytest.mark.parametrize("cause", ["evt-1", "", "é/ü\x1fx", "a" * 300, "7f3c" * 9])
def test_derived_ids_are_the_standard_uuid5(cause: str) -> None:
    """The fast path must give exactly what `uuid.uuid5` gives: ids already emitted and
    recorded must come out the same on redelivery after an upgrade."""
    from router.contract.ids import NAMESPACE

    for kind, index in (("offer.issued", 0), ("agent-cycle:x", 17), ("k", 10**6)):
        assert derive_id(cause, kind, index) == str(
            uuid.uuid5(NAMESPACE, f"{cause}\x1f{kind}\x1f{index}"))
