"""The two ways a send can fail, kept apart because callers react differently.

`InvalidEvent` is the caller's mistake and is raised at once, before anything reaches
Kafka: retrying cannot help. `DeliveryError` arrives later, through the send's future,
when the broker (or the producer's own limits) refused a well-formed event; some of
those are worth retrying, which `retriable` says.
"""

from __future__ import annotations


class ClientError(Exception):
    """Base of every error the client raises on purpose."""


class InvalidEvent(ClientError, ValueError):
    """The event would be rejected by the router (and dead-lettered), so it is not sent.

    `field` locates the offending value (`data.priority`, `subject`, `time`) or is None
    when the event as a whole is at fault (its size).
    """

    def __init__(self, event_type: str, field: str | None, reason: str) -> None:
        super().__init__(event_type, field, reason)
        self.event_type = event_type
        self.field = field
        self.reason = reason

    def __str__(self) -> str:
        where = f" field {self.field!r}:" if self.field else ""
        return f"invalid {self.event_type} event:{where} {self.reason}"


class DeliveryError(ClientError):
    """Kafka did not acknowledge the event. `code` is librdkafka's error name, e.g.
    `MSG_SIZE_TOO_LARGE`; the event may be sent again (same id) when `retriable`."""

    def __init__(
        self,
        *,
        event_type: str,
        event_id: str,
        topic: str,
        key: bytes,
        code: str,
        reason: str,
        retriable: bool,
    ) -> None:
        super().__init__(event_type, event_id, topic, code, reason)
        self.event_type = event_type
        self.event_id = event_id
        self.topic = topic
        self.key = key
        self.code = code
        self.reason = reason
        self.retriable = retriable

    def __str__(self) -> str:
        return (
            f"{self.event_type} {self.event_id} was not delivered to {self.topic} "
            f"(key {self.key.decode(errors='replace')!r}): {self.code}: {self.reason}"
        )


class SubscriberError(ClientError):
    """The consumer hit an error it cannot continue from: a fatal one, or the broker
    refusing its credentials (authentication, or authorization of a topic or group)."""
