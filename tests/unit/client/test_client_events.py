"""Events built by the SDK: what they contain, and how bad input is reported.

`Events` shares every builder and check with `Publisher`, so these tests cover what a
Publisher refuses before anything reaches Kafka.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import msgspec
import pytest
from confluent_kafka import KafkaError

from router.client import (
    DeliveryError,
    Events,
    InvalidEvent,
    Publisher,
    Subscriber,
    SubscriberError,
)
from router.client.routing import input_topics, output_topics
from router.client.subscriber import _agent_of
from router.contract import codec
from router.contract.examples import EXAMPLES
from router.contract.outputs import OfferIssued

events = Events(tenant="acme", source="test/unit")


def offer(tenant: str = "contoso") -> OfferIssued:
    example = EXAMPLES["offer.issued"]
    assert isinstance(example, OfferIssued)
    return msgspec.structs.replace(example, tenant=tenant)


def test_created_item_is_a_valid_contract_event_keyed_by_item() -> None:
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    event = events.create_item(
        "chat-1",
        "chat",
        attributes={"language": "fr"},
        priority=4,
        preferred_agents=["ana"],
        event_id="evt-1",
        at=at,
    )
    assert event.key == b"acme/chat-1"
    decoded = codec.decode(codec.encode(event), key=event.key)
    assert decoded == event
    assert (decoded.type, decoded.id, decoded.time, decoded.source) == (
        "work_item.created",
        "evt-1",
        at,
        "test/unit",
    )
    assert decoded.data.attributes == {"language": "fr"}


def test_ids_are_unique_unless_given() -> None:
    ids = {events.complete_item("chat-1").id for _ in range(100)}
    assert len(ids) == 100
    assert events.complete_item("chat-1", event_id="retry-7").id == "retry-7"


def test_agent_events_are_keyed_by_agent() -> None:
    built = [
        events.register_agent(
            "ana",
            units=100,
            profiles={"chat": 3},
            skills={"fr": 4},
            queues=["general"],
            presence="available",
        ),
        events.set_presence("ana", "away"),
        events.set_capacity("ana", units=50),
        events.change_queues("ana", added=["vip"], removed=["general"]),
    ]
    assert {e.key for e in built} == {b"acme/ana"}
    assert [e.type for e in built] == [
        "agent.registered",
        "agent.presence_changed",
        "agent.capacity_changed",
        "agent.queues_changed",
    ]
    assert built[0].data.capacity.profiles == {"chat": 3}


def test_less_common_events_use_their_topics_key() -> None:
    assert events.update_profile("ana", skills={"de": 2}).key == b"acme/ana"
    picked = events.pick_item("case-9", "ana")
    assert (picked.type, picked.key, picked.data.agent_id) == (
        "agent.item_picked",
        b"acme/case-9",
        "ana",
    )
    requeued = events.requeue_item("case-9", reason="transfer", queue="backoffice")
    assert (requeued.type, requeued.data.queue) == ("work_item.requeue_requested", "backoffice")


def test_only_an_offer_can_be_accepted_or_declined() -> None:
    assignment = EXAMPLES["assignment.created"]
    with pytest.raises(
        TypeError, match=r"accept: expects a received offer\.issued event, not assignment\.created"
    ):
        events.accept(assignment)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="decline: expects"):
        events.decline(assignment)  # type: ignore[arg-type]


def test_update_leaves_out_what_is_not_given() -> None:
    raw = codec.encode(events.update_item("chat-1", priority=None))
    assert b'"data":{"priority":null}' in raw


def test_accept_and_decline_answer_the_offer_in_its_own_tenant() -> None:
    the_offer = offer()
    accepted = events.accept(the_offer)
    declined = events.decline(the_offer, "busy with a call")
    for response in (accepted, declined):
        assert response.tenant == "contoso"  # the offer's tenant, not the builder's
        assert response.key == the_offer.key  # offer responses are keyed by item
        assert response.data.offer_id == the_offer.data.offer_id
        assert response.data.agent_id == the_offer.data.agent_id
    assert declined.data.reason == "busy with a call"
    # Answering the same offer again (a retry) produces the same id: counted once.
    assert events.accept(the_offer).id == accepted.id
    assert accepted.id != declined.id


@pytest.mark.parametrize(
    ("build", "field", "reason_part"),
    [
        (
            lambda: events.create_item("i", "chat", priority="high"),
            "data.priority",
            "Expected int | float | null, got str",
        ),
        (lambda: events.create_item("i", ""), "data.workstream", "length >= 1"),
        (
            lambda: events.create_item("i", "chat", preferred_agents=["a", "a"]),
            "data.preferred_agents",
            "duplicates",
        ),
        (
            lambda: events.create_item("i", "chat", preferred_agents=["a", "b", "c", "d"]),
            "data.preferred_agents",
            "length <= 3",
        ),
        (lambda: events.create_item("i", "chat", ttl_seconds=0), "data.ttl_seconds", ">= 1"),
        (
            lambda: events.create_item("i", "chat", deadline=datetime(2026, 1, 1)),
            "data.deadline",
            "UTC",
        ),
        (
            lambda: events.create_item(
                "i", "chat", deadline=datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=2)))
            ),
            "data.deadline",
            "UTC",
        ),
        (lambda: events.create_item("", "chat"), "subject", "length >= 1"),
        (lambda: events.complete_item("i", at=datetime(2026, 1, 1)), "time", "UTC"),
        (lambda: events.complete_item("i", event_id=""), "id", "length >= 1"),
        (lambda: events.register_agent("ana", units=-1), "data.capacity.units", ">= 0"),
        (
            lambda: events.register_agent("ana", skills={"fr": "good"}),
            "data.skills[...]",
            "Expected",
        ),
        (lambda: events.set_presence("ana", ""), "data.presence", "length >= 1"),
        (lambda: events.set_capacity("ana"), "data.units", "give units, profiles or both"),
        (lambda: events.change_queues("ana"), "data.added", "give added, removed or both"),
        (
            lambda: events.change_queues("ana", added=["q"], removed=["q"]),
            "data.removed",
            "both added and removed",
        ),
        (lambda: events.decline(offer(), "x" * 2000), "data.reason", "length <= 1024"),
        (lambda: events.update_profile("ana"), "data.skills", "give skills, attributes or both"),
        (lambda: events.pick_item("i", ""), "data.agent_id", "length >= 1"),
    ],
)
def test_bad_input_names_the_field(build: Any, field: str, reason_part: str) -> None:
    with pytest.raises(InvalidEvent) as caught:
        build()
    assert caught.value.field == field
    assert reason_part in caught.value.reason
    assert field in str(caught.value)


def test_bad_tenant_or_source_is_refused_when_the_builder_is_made() -> None:
    with pytest.raises(ValueError, match=r"tenant: 'acme/eu' is not valid"):
        Events(tenant="acme/eu")
    with pytest.raises(ValueError, match=r"source: '' is not valid"):
        Events(tenant="acme", source="")
    with pytest.raises(ValueError, match=r"tenant: '' is not valid"):
        Publisher("127.0.0.1:1", tenant="")  # refused before any producer is made


def test_a_bad_tenant_in_a_prebuilt_event_is_reported_on_the_envelope() -> None:
    the_offer = offer(tenant="acme/eu")
    with pytest.raises(InvalidEvent) as caught:
        events.accept(the_offer)
    assert caught.value.field == "tenant"


def test_attributes_that_are_not_json_are_refused() -> None:
    with pytest.raises(InvalidEvent) as caught:
        events.create_item("i", "chat", attributes={"when": object()})
    assert caught.value.field == "data"
    assert "cannot be encoded as JSON" in caught.value.reason


def test_numbers_json_cannot_carry_are_refused_not_sent_as_null() -> None:
    with pytest.raises(InvalidEvent) as caught:
        events.update_item("i", priority=float("nan"))
    assert caught.value.field == "data.priority" and "null" in caught.value.reason
    with pytest.raises(InvalidEvent) as caught:
        events.create_item("i", "chat", attributes={"scores": [1.0, float("-inf")]})
    assert caught.value.field == "data.attributes.scores[1]"
    assert events.create_item("i", "chat", priority=2.5).data.priority == 2.5


def test_attributes_nested_too_deeply_are_refused_as_invalid() -> None:
    deep: dict[str, Any] = {}
    for _ in range(5000):
        deep = {"x": deep}
    with pytest.raises(InvalidEvent) as caught:
        events.create_item("i", "chat", attributes=deep)
    assert caught.value.field == "data"


def test_events_over_the_router_limit_are_refused_with_sizes() -> None:
    small = Events(tenant="acme", max_event_bytes=2048)
    with pytest.raises(InvalidEvent) as caught:
        small.create_item("i", "chat", attributes={"text": "x" * 4000})
    assert caught.value.field is None
    assert "exceeds the limit of 2048 bytes" in str(caught.value)


def test_router_owned_event_types_cannot_be_published() -> None:
    with pytest.raises(InvalidEvent) as caught:
        events.check(offer())
    assert (caught.value.field, caught.value.event_type) == ("type", "offer.issued")


def test_producer_settings_the_router_relies_on_cannot_be_overridden() -> None:
    with pytest.raises(ValueError, match=r"partitioner"):
        Publisher("127.0.0.1:1", tenant="acme", producer_config={"partitioner": "consistent"})


def test_topic_tables_follow_the_contract() -> None:
    topics = input_topics("p.")
    assert topics["work_item.created"] == "p.work-items"
    assert topics["agent.presence_changed"] == "p.agents"
    assert topics["agent.offer_accepted"] == "p.offer-responses"
    assert "timer.offer_due" not in topics
    assert set(output_topics(("offers", "assignments"), "p.")) == {"p.offers", "p.assignments"}
    with pytest.raises(ValueError, match="work-items"):
        output_topics(("work-items",), "p.")
    with pytest.raises(ValueError, match=r"\['dead-letter'\] are not output topics"):
        output_topics(("dead-letter",), "p.")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"types": {"work_item.queued"}}, r"types: \['work_item.queued'\] are not carried"),
        ({"topics": ("offers", "agents")}, r"topics: \['agents'\] are not output topics"),
        (
            {"consumer_config": {"partition.assignment.strategy": "cooperative-sticky"}},
            "cooperative assignors are not supported",
        ),
    ],
)
def test_subscriber_options_are_checked_before_connecting(
    options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Subscriber("127.0.0.1:1", **options)



def test_close_fails_the_deliveries_it_could_not_flush() -> None:
    # Nothing listens on port 1: the event stays queued until close gives up on it.
    publisher = Publisher("127.0.0.1:1", tenant="acme", source="test/unit",
                          producer_config={"log_level": 0})
    delivery = publisher.create_item("chat-1", "chat")
    assert publisher.close(timeout=0.3) == 1
    with pytest.raises(DeliveryError) as failed:
        delivery.result(5)  # resolved: a wait without a timeout would not hang
    assert failed.value.code in ("_PURGE_QUEUE", "_PURGE_INFLIGHT")
    assert failed.value.event_type == "work_item.created"
    assert publisher.close() == 0  # closing twice is harmless
    with pytest.raises(RuntimeError, match="closed"):
        publisher.create_item("chat-2", "chat")


def test_a_send_racing_close_is_refused_not_left_pending() -> None:
    """A send from another thread just as close() flushes: before, it could reach the
    producer after a flush that found nothing left (so nothing purged it) and its
    Delivery was never resolved. Now close() refuses sends before it flushes."""
    publisher = Publisher("127.0.0.1:1", tenant="acme", source="test/unit",
                          producer_config={"log_level": 0})
    real = publisher._producer
    late: list[Any] = []

    class FlushThenSend:
        """The producer, with a send from another thread landing as flush returns 0
        (as against a live broker that took everything)."""

        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def flush(self, timeout: float = 0) -> int:
            real.flush(min(timeout, 0.1))

            def send() -> None:
                try:
                    late.append(publisher.create_item("chat-late", "chat"))
                except RuntimeError as exc:
                    late.append(exc)

            sender = threading.Thread(target=send)
            sender.start()
            sender.join(5)
            return 0

    publisher._producer = FlushThenSend()  # type: ignore[assignment]
    publisher.close(timeout=0.1)
    [outcome] = late
    assert isinstance(outcome, RuntimeError) or outcome.done()
    publisher._producer = real
    real.purge(in_queue=True, in_flight=True)


def test_stop_ends_a_wait_for_partitions() -> None:
    # Nothing listens on port 1, so no partitions ever come: only stop() ends the wait.
    subscriber = Subscriber("127.0.0.1:1", tenant="acme", consumer_config={"log_level": 0})
    threading.Timer(0.3, subscriber.stop).start()
    started = time.monotonic()
    try:
        subscriber.wait_assigned(timeout=20)  # returns, does not raise TimeoutError
    finally:
        subscriber.close()
    assert subscriber.stopping
    assert time.monotonic() - started < 10


def test_one_string_is_not_taken_for_a_list_of_ids() -> None:
    with pytest.raises(InvalidEvent) as refused:
        events.register_agent("ana", queues="general")  # type: ignore[arg-type]
    assert refused.value.field == "data.queues" and "['general']" in refused.value.reason
    with pytest.raises(InvalidEvent, match=r"data\.added"):
        events.change_queues("ana", added="vip")  # type: ignore[arg-type]
    with pytest.raises(InvalidEvent, match=r"data\.preferred_agents"):
        events.create_item("i", "chat", preferred_agents="ana")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="agents: a collection, not one string"):
        Subscriber("127.0.0.1:1", agents="ana")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="types: a collection, not one string"):
        Subscriber("127.0.0.1:1", types="offer.issued")  # type: ignore[arg-type]
    assert events.change_queues("ana", added=["vip"]).data.added == ["vip"]


def test_the_agent_an_output_is_about() -> None:
    assert _agent_of(EXAMPLES["offer.issued"]) == "agent-ana"
    # An item taken back from the agent (a transfer) reaches that agent's desktop too.
    assert _agent_of(EXAMPLES["work_item.requeued"]) == "agent-ana"
    assert _agent_of(EXAMPLES["work_item.queued"]) is None


def test_refused_credentials_end_a_subscription_transient_errors_do_not() -> None:
    subscriber = Subscriber("127.0.0.1:1", tenant="acme", consumer_config={"log_level": 0})
    try:
        for code in (KafkaError._AUTHENTICATION, KafkaError.TOPIC_AUTHORIZATION_FAILED):
            with pytest.raises(SubscriberError):
                subscriber._on_error(KafkaError(code))
        subscriber._on_error(KafkaError(KafkaError._TRANSPORT))
    finally:
        subscriber.close()


def test_partitions_that_cannot_be_positioned_end_the_subscription_as_its_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The offsets of a new assignment are read with retries; once they are spent, the
    error comes out of poll as a SubscriberError, as every error that ends it does."""
    from confluent_kafka import KafkaException, TopicPartition

    import router.client.subscriber as subscriber_module

    monkeypatch.setattr(subscriber_module.time, "sleep", lambda _s: None)
    subscriber = Subscriber("127.0.0.1:1", tenant="acme", consumer_config={"log_level": 0})

    class NoCoordinator:
        def committed(self, *_args: Any, **_kwargs: Any) -> Any:
            raise KafkaException(KafkaError(KafkaError._TIMED_OUT, "no coordinator"))

    try:
        with pytest.raises(SubscriberError, match="cannot position"):
            subscriber._on_assign(NoCoordinator(),  # type: ignore[arg-type]
                                  [TopicPartition("router.offers", 0)])
    finally:
        subscriber.close()
