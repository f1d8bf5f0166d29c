"""Receive the router's decisions: offers, assignments, declines (and item status).

A confluent-kafka consumer over output topics that yields decoded contract events,
optionally only one tenant's or some agents' (an agent desktop wants its own offers).
By default every Subscriber has its own consumer group, so each sees every event; give
`group_id` to share the work between processes instead.

Starting from "latest" has a trap: Kafka resolves "latest" some time after the
partitions are assigned, and an event published in between is silently skipped. So on
assignment the subscriber pins partitions without a committed offset to their current
end, and `wait_assigned()` returns only after that: an event published afterwards is
always seen.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Collection, Iterator, Mapping
from functools import partial
from types import TracebackType
from typing import Any, TypeVar

from confluent_kafka import (
    OFFSET_INVALID,
    Consumer,
    KafkaError,
    KafkaException,
    Message,
    TopicPartition,
)

from router.client.errors import SubscriberError
from router.client.routing import DEFAULT_SUBSCRIPTION, output_topics
from router.contract import codec
from router.contract.envelope import Event
from router.contract.topics import DEFAULT_PREFIX
from router.settings import Settings

log = logging.getLogger(__name__)

MAX_OUTPUT_BYTES = 8 * 1024 * 1024
"""Generous: outputs are written by the router, the size check guards inputs."""


class Subscriber:
    """Decoded output events, filtered by tenant, agents and event types."""

    def __init__(
        self,
        bootstrap: str,
        *,
        topic_prefix: str = DEFAULT_PREFIX,
        tenant: str | None = None,
        agents: Collection[str] | None = None,
        types: Collection[str] | None = None,
        topics: tuple[str, ...] = DEFAULT_SUBSCRIPTION,
        group_id: str | None = None,
        from_beginning: bool = False,
        consumer_config: Mapping[str, Any] | None = None,
    ) -> None:
        """topics: output topic suffixes (offers, assignments, declines, item-status).
        agents: keep only events about one of these agents: `data.agent_id`, or for
        work_item.requeued `data.previous_agent_id` (events about no agent, e.g.
        item.excluded, work_item.queued or a cancel, are then dropped). types: keep only
        these types.
        from_beginning: a new group starts at the earliest retained event, not the end.
        """
        for name, given in (("agents", agents), ("types", types)):
            if isinstance(given, str | bytes):
                raise ValueError(f"{name}: a collection, not one string ({given!r}); "
                                 f"write {{{given!r}}}")
        self._topic_types = output_topics(topics, topic_prefix)
        known = frozenset().union(*self._topic_types.values())
        if types is not None:
            unknown = sorted(set(types) - known)
            if unknown:
                raise ValueError(f"types: {unknown} are not carried by topics {list(topics)}")
        strategy = str((consumer_config or {}).get("partition.assignment.strategy", ""))
        if "cooperative" in strategy:
            raise ValueError(
                "consumer_config: partition.assignment.strategy: cooperative assignors are "
                "not supported (the subscriber positions whole assignments)"
            )
        self.tenant = tenant
        self.agents = None if agents is None else frozenset(agents)
        self.types = None if types is None else frozenset(types)
        self.group_id = group_id or f"router-client-{uuid.uuid4().hex}"
        self.from_beginning = from_beginning
        self.skipped = 0
        """Records that did not decode as contract events (logged, then skipped)."""
        self._tenant_prefix = None if tenant is None else f"{tenant}/".encode()
        self._assigned = threading.Event()
        self._stopping = threading.Event()
        self._closed = False
        self._pending: deque[Event[Any]] = deque()
        self._consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": self.group_id,
                "auto.offset.reset": "earliest" if from_beginning else "latest",
                "enable.auto.commit": True,
                # Client-level errors (a refused login among them) reach Python only
                # through this callback; raised in it, they come out of `poll`.
                "error_cb": self._on_error,
                **(consumer_config or {}),
            }
        )
        try:
            self._consumer.subscribe(
                list(self._topic_types), on_assign=self._on_assign, on_revoke=self._on_revoke
            )
        except BaseException:
            self._consumer.close()  # never returned to the caller, so nobody else can
            raise

    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> Subscriber:
        """Bootstrap and topic prefix from `ROUTER_*` settings."""
        return cls(settings.kafka_bootstrap, topic_prefix=settings.topic_prefix, **options)

    # ------------------------------------------------------------------ assignment

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        if not self.from_beginning and partitions:
            try:
                committed = _retrying(lambda: consumer.committed(partitions, timeout=10))
                for partition, stored in zip(partitions, committed, strict=True):
                    if stored.offset == OFFSET_INVALID:
                        partition.offset = _retrying(partial(_end_offset, consumer, partition))
                    else:
                        partition.offset = stored.offset
            except KafkaException as exc:  # retries spent: the subscription cannot start
                raise SubscriberError(f"cannot position the assigned partitions: {exc}") from exc
            consumer.assign(partitions)
        self._assigned.set()

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        """Commit what was read, so whoever gets these partitions next (a shared group)
        resumes exactly here instead of at the end."""
        self._assigned.clear()
        if partitions and not self._closed:
            try:
                consumer.commit(asynchronous=False)
            except KafkaException as exc:  # nothing consumed yet: nothing to commit
                log.debug("subscriber: no commit on revoke: %s", exc)

    @property
    def assigned(self) -> bool:
        """Whether partitions are currently assigned and positioned (see wait_assigned)."""
        return self._assigned.is_set()

    def wait_assigned(self, timeout: float = 60.0) -> None:
        """Block until partitions are assigned and positioned; events published after
        this returns will be received. Events polled meanwhile are kept for `poll`.
        Returns early, unassigned, when `stop()` is called meanwhile (a signal handler's
        Ctrl-C during start-up): check `stopping` after it."""
        deadline = time.monotonic() + timeout
        while not self._assigned.is_set() and not self._stopping.is_set():
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"no partitions assigned after {timeout}s "
                    f"(group {self.group_id}, topics {list(self._topic_types)})"
                )
            event = self._poll_once(0.2)
            if event is not None:
                self._pending.append(event)

    # ------------------------------------------------------------------ receiving

    def poll(self, timeout: float = 1.0) -> Event[Any] | None:
        """The next matching event, or None if none arrived within `timeout` seconds."""
        if self._pending:
            return self._pending.popleft()
        return self._poll_once(timeout)

    def _poll_once(self, timeout: float) -> Event[Any] | None:
        msg = self._consumer.poll(timeout)
        if msg is None:
            return None
        err = msg.error()
        if err is not None:
            self._on_error(err)
            return None
        return self._accept(msg)

    def _on_error(self, err: KafkaError) -> None:
        # librdkafka marks none of the credential errors fatal and retries them for ever,
        # but nothing changes until the credentials or ACLs do: waiting would only hang.
        if err.fatal() or err.code() in _REFUSED:
            raise SubscriberError(f"consumer failed: {err.name()}: {err.str()}")
        log.warning("subscriber: %s: %s", err.name(), err.str())

    def _accept(self, msg: Message) -> Event[Any] | None:
        key = msg.key()
        key_bytes = key.encode() if isinstance(key, str) else key
        if self._tenant_prefix is not None and not (
            key_bytes is not None and key_bytes.startswith(self._tenant_prefix)
        ):
            return None  # another tenant's: skip without decoding
        value = msg.value()
        try:
            event = codec.decode(
                value.encode() if isinstance(value, str) else value,
                max_bytes=MAX_OUTPUT_BYTES,
                types=self._topic_types.get(msg.topic() or ""),
            )
        except codec.DecodeError as exc:
            self.skipped += 1
            log.warning(
                "subscriber: skipped a record of %s[%s]@%s: %s",
                msg.topic(),
                msg.partition(),
                msg.offset(),
                exc,
            )
            return None
        if self.tenant is not None and event.tenant != self.tenant:
            return None
        if self.types is not None and event.type not in self.types:
            return None
        if self.agents is not None and _agent_of(event) not in self.agents:
            return None
        return event

    def __iter__(self) -> Iterator[Event[Any]]:
        """Matching events as they arrive, until `stop()` (from another thread or from
        the loop's body) ends the iteration."""
        while not self._stopping.is_set():
            event = self.poll(0.2)
            if event is not None:
                yield event

    def run(
        self, callback: Callable[[Event[Any]], None], stop: threading.Event | None = None
    ) -> None:
        """Call `callback` for each matching event until `stop` is set or `stop()`."""
        while not self._stopping.is_set() and not (stop is not None and stop.is_set()):
            event = self.poll(0.2)
            if event is not None:
                callback(event)

    @property
    def stopping(self) -> bool:
        """Whether `stop()` or `close()` was called (for loops of one's own over poll)."""
        return self._stopping.is_set()

    def stop(self) -> None:
        """End `__iter__`/`run` loops; safe from any thread or a signal handler."""
        self._stopping.set()

    def close(self) -> None:
        """Leave the group (committing positions) and release the consumer. Call it
        from the thread that polls, once its loop has ended."""
        self._stopping.set()
        if not self._closed:
            self._closed = True
            self._consumer.close()

    def __enter__(self) -> Subscriber:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


T = TypeVar("T")


_REFUSED = frozenset({
    KafkaError._AUTHENTICATION,
    KafkaError.SASL_AUTHENTICATION_FAILED,
    KafkaError.TOPIC_AUTHORIZATION_FAILED,
    KafkaError.GROUP_AUTHORIZATION_FAILED,
    KafkaError.CLUSTER_AUTHORIZATION_FAILED,
})
"""Errors that end a subscription: the broker refuses these credentials."""


def _agent_of(event: Event[Any]) -> str | None:
    """The agent an event is about: the one offered, assigned or declining, or the one a
    requeued item was taken from (so that desktop hears its item went back)."""
    data = event.data
    agent = getattr(data, "agent_id", None)
    return agent if agent is not None else getattr(data, "previous_agent_id", None)


def _end_offset(consumer: Consumer, partition: TopicPartition) -> int:
    _low, high = consumer.get_watermark_offsets(partition, timeout=10, cached=False)
    return int(high)


def _retrying(call: Callable[[], T], attempts: int = 30) -> T:
    """A metadata call right after a topic is created can meet a partition whose leader
    is not elected yet; such errors pass within seconds, so retry them."""
    for attempt in range(attempts):
        try:
            return call()
        except KafkaException as exc:  # reads only: retrying any error is harmless
            if attempt == attempts - 1:
                raise
            log.info("subscriber: retrying after %s", exc)
            time.sleep(0.5)
    raise AssertionError("unreachable")
