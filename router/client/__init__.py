"""Client SDK for connectors and agent desktops: publish inputs, receive decisions.

    from router.client import Publisher, Subscriber

    with Publisher("127.0.0.1:9092", tenant="acme", source="connector/chat-1") as pub:
        pub.create_item("chat-42", "chat", attributes={"language": "en"}).result()

        with Subscriber("127.0.0.1:9092", tenant="acme", agents={"alice"}) as sub:
            sub.wait_assigned()
            for event in sub:
                if event.type == "offer.issued":
                    pub.accept(event).result()

Every send is checked with the router's own codec first (`InvalidEvent`, raised at once,
names the field) and returns a future (`Delivery`) resolved by Kafka's delivery report
(`Delivered`, or `DeliveryError`). `Events` has the same builders without Kafka: they
return the checked contract events. Guide: docs/client.md.
"""

from __future__ import annotations

from router.client.builder import DEFAULT_SOURCE, EventBuilder, Events
from router.client.errors import ClientError, DeliveryError, InvalidEvent, SubscriberError
from router.client.publisher import Delivered, Delivery, Publisher, wait_all
from router.client.subscriber import Subscriber

__all__ = [
    "DEFAULT_SOURCE",
    "ClientError",
    "Delivered",
    "Delivery",
    "DeliveryError",
    "EventBuilder",
    "Events",
    "InvalidEvent",
    "Publisher",
    "Subscriber",
    "SubscriberError",
    "wait_all",
]
