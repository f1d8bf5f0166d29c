"""The SDK's Kafka behaviour without a worker: where a Subscriber starts, what it skips,
and how delivery failures reach the caller.

Output events are written straight to the output topics here (standing in for the
router), so each test controls exactly what is on the topic before and after a
subscriber joins.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import msgspec
import pytest
from confluent_kafka import Producer

from router.client import DeliveryError, Publisher, Subscriber, SubscriberError
from router.contract import codec
from router.contract.envelope import Event
from router.contract.examples import EXAMPLES
from router.settings import Settings


def offer_for(tenant: str, agent: str, item: str) -> Event[Any]:
    example = EXAMPLES["offer.issued"]
    data = msgspec.structs.replace(example.data, agent_id=agent, offer_id=str(uuid.uuid4()))
    return msgspec.structs.replace(
        example, id=str(uuid.uuid4()), tenant=tenant, subject=item, data=data
    )


@pytest.fixture()
def router_side(settings: Settings) -> Iterator[Producer]:
    producer = Producer(
        {"bootstrap.servers": settings.kafka_bootstrap, "partitioner": "murmur2_random"}
    )
    yield producer
    producer.flush(10)


def put(
    producer: Producer,
    settings: Settings,
    event: Event[Any] | None,
    key: bytes,
    raw: bytes | None = None,
) -> None:
    value = raw if event is None else codec.encode(event)
    producer.produce(f"{settings.topic_prefix}offers", key=key, value=value)
    assert producer.flush(10) == 0


def drain(subscriber: Subscriber, until_subject: str, limit_s: float = 60.0) -> list[str]:
    """Subjects received until `until_subject` arrives (inclusive)."""
    subjects: list[str] = []
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        event = subscriber.poll(0.5)
        if event is not None:
            subjects.append(event.subject)
            if event.subject == until_subject:
                return subjects
    raise AssertionError(f"{until_subject} not received; got {subjects}")


def test_latest_by_default_earliest_on_request(
    settings: Settings, tenant: str, router_side: Producer
) -> None:
    put(router_side, settings, offer_for(tenant, "ana", "before"), f"{tenant}/before".encode())
    latest = Subscriber.from_settings(settings, tenant=tenant)
    earliest = Subscriber.from_settings(settings, tenant=tenant, from_beginning=True)
    try:
        latest.wait_assigned()
        earliest.wait_assigned()
        put(router_side, settings, offer_for(tenant, "ana", "after"), f"{tenant}/after".encode())
        assert drain(latest, "after") == ["after"]
        # Two keys, two partitions: no order between them, so wait for both.
        seen = drain(earliest, "after")
        if "before" not in seen:
            seen += drain(earliest, "before")
        assert sorted(seen) == ["after", "before"]
    finally:
        latest.close()
        earliest.close()


def test_other_tenants_and_undecodable_records_are_skipped(
    settings: Settings, tenant: str, router_side: Producer
) -> None:
    with Subscriber.from_settings(settings, tenant=tenant) as subscriber:
        subscriber.wait_assigned()
        put(
            router_side,
            settings,
            offer_for("someone-else", "ana", "theirs"),
            b"someone-else/theirs",
        )
        put(router_side, settings, None, f"{tenant}/garbage".encode(), raw=b"{not json")
        put(router_side, settings, offer_for(tenant, "ana", "ours"), f"{tenant}/ours".encode())
        assert drain(subscriber, "ours") == ["ours"]
        # The garbage record shares the tenant's key prefix, so it was decoded and
        # counted; the other tenant's record was dropped by key, before decoding. It is
        # on another partition than "ours", so it may be read after it.
        deadline = time.monotonic() + 30
        while subscriber.skipped == 0 and time.monotonic() < deadline:
            assert subscriber.poll(0.2) is None
        assert subscriber.skipped == 1


def test_shared_group_splits_the_events(
    settings: Settings, tenant: str, router_side: Producer
) -> None:
    """Two subscribers with one group id share the partitions: together they receive
    every event once, and each receives part of them."""
    group = f"desktops-{uuid.uuid4().hex[:8]}"
    first = Subscriber.from_settings(settings, tenant=tenant, group_id=group)
    second = Subscriber.from_settings(settings, tenant=tenant, group_id=group)
    received: dict[str, list[str]] = {"first": [], "second": []}
    try:
        deadline = time.monotonic() + 90
        while not (first.assigned and second.assigned):
            assert time.monotonic() < deadline, "the group never settled"
            assert first.poll(0.2) is None and second.poll(0.2) is None
        items = [f"item-{n}" for n in range(24)]
        for item in items:
            put(router_side, settings, offer_for(tenant, "ana", item), f"{tenant}/{item}".encode())
        while sum(map(len, received.values())) < len(items):
            assert time.monotonic() < deadline, f"missing events; got {received}"
            for name, subscriber in (("first", first), ("second", second)):
                event = subscriber.poll(0.2)
                if event is not None:
                    received[name].append(event.subject)
        assert sorted(received["first"] + received["second"]) == sorted(items)
        assert received["first"] and received["second"]
    finally:
        first.close()
        second.close()


def test_broker_rejection_fails_the_future(settings: Settings, tenant: str) -> None:
    """The broker's 1 MiB message limit: the client's own limits are raised above it so
    the event reaches the broker, and the delivery report carries the refusal."""
    with Publisher.from_settings(
        settings,
        tenant=tenant,
        max_event_bytes=4_000_000,
        producer_config={"message.max.bytes": 8_000_000},
    ) as publisher:
        delivery = publisher.create_item("huge", "chat", attributes={"blob": "x" * 1_200_000})
        error = delivery.exception(60)
        assert isinstance(error, DeliveryError)
        assert error.code == "MSG_SIZE_TOO_LARGE"
        assert error.topic == f"{settings.topic_prefix}work-items"
        assert error.key == f"{tenant}/huge".encode()
        assert "huge" in str(error) and "MSG_SIZE_TOO_LARGE" in str(error)
        with pytest.raises(DeliveryError):
            delivery.result()
        # The publisher carries on: a normal event after the failure is delivered.
        assert publisher.create_item("small", "chat").result(30).offset >= 0


def test_local_rejection_fails_the_future_too(settings: Settings, tenant: str) -> None:
    """Over the producer's own message.max.bytes, librdkafka refuses at produce time;
    the caller still gets a failed future, not an exception from the send."""
    with Publisher.from_settings(settings, tenant=tenant, max_event_bytes=4_000_000) as publisher:
        delivery = publisher.create_item("huge", "chat", attributes={"blob": "x" * 1_500_000})
        error = delivery.exception(30)
        assert isinstance(error, DeliveryError)
        assert error.code == "MSG_SIZE_TOO_LARGE"


def test_same_key_same_partition_as_the_router_expects(settings: Settings, tenant: str) -> None:
    """Every event about one item goes to one partition of each topic, so the worker
    sees them in order; offer responses share the item's key."""
    with Publisher.from_settings(settings, tenant=tenant) as publisher:
        first = publisher.create_item("same", "chat").result(30)
        again = [publisher.update_item("same", priority=n).result(30) for n in range(5)]
        assert {d.partition for d in again} == {first.partition}
        assert [d.offset for d in again] == sorted(d.offset for d in again)


def test_refused_credentials_raise_instead_of_waiting_for_ever(settings: Settings) -> None:
    # The test broker speaks plain Kafka: a SASL login to it fails as a refused one would.
    subscriber = Subscriber(settings.kafka_bootstrap, topic_prefix=settings.topic_prefix,
                            consumer_config={"security.protocol": "SASL_PLAINTEXT",
                                             "sasl.mechanism": "PLAIN", "sasl.username": "u",
                                             "sasl.password": "p", "log_level": 0})
    try:
        with pytest.raises(SubscriberError, match="_AUTHENTICATION"):
            subscriber.wait_assigned(timeout=30)
    finally:
        subscriber.close()
