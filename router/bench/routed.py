"""The router under measurement: agents with room, offers answered at once.

Every agent can take every chat item many times over (huge unit and profile capacity),
so the measured wait is the router's own work plus Kafka, never a wait for an agent.
In the phases the targets define (as fast as possible, fixed rates) agents leave offers
pending (the bench configuration's offer timeout outlasts the run): they measure how
fast the worker turns items into offers. In the full-lifecycle phase agents accept each
offer the moment it arrives and complete and close each assignment at once: real input
events the worker must process too, as in production (four inputs per item: created,
accepted, completed, closed).
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from confluent_kafka import TIMESTAMP_CREATE_TIME, Message

from router.bench.batches import BatchMeter, mean_batch
from router.bench.cpu import Meter, start_phase
from router.bench.latency import Phase, summarize
from router.bench.progress import ProgressFn, wait_for
from router.bench.wire import Receiver, key_text, producer, send_paced
from router.client import Events
from router.client.routing import input_topics
from router.contract import codec
from router.contract.envelope import SCHEMA_VERSION, Event
from router.contract.ids import derive_id
from router.contract.inputs import (
    AgentOfferAccepted,
    OfferAcceptedData,
    WorkItemClosed,
    WorkItemClosedData,
    WorkItemCompleted,
    WorkItemCompletedData,
)
from router.contract.outputs import OfferIssued
from router.settings import Settings

SOURCE = "bench/agents"
AGENT_UNITS = 1_000_000_000
AGENT_PROFILES = {"chat": 1_000_000, "call": 1, "case": 5}


def register_bench_agent(events: Events, n: int, queues: Sequence[str]) -> Event[Any]:
    """The n-th agent of a run: available in every queue, room for everything."""
    return events.register_agent(
        f"bench-agent-{n:03d}", units=AGENT_UNITS, profiles=AGENT_PROFILES,
        skills={"en": 5, "fr": 5, "de": 5, "billing": 5},
        attributes={"certified": True, "language": "en"},
        queues=queues, presence="available")


class RoutedRun:
    """Publishes items to the router's input topic and times their offers."""

    def __init__(self, settings: Settings, tenant: str, queues: Sequence[str],
                 cpu: Meter | None = None, batches: BatchMeter | None = None) -> None:
        self.settings = settings
        self._cpu = cpu
        self._batches = batches
        self.tenant = tenant
        self.queues = list(queues)
        self._inputs = input_topics(settings.topic_prefix)
        self._producer = producer(settings)
        self._lock = threading.Lock()
        self._offered: dict[str, float] = {}
        self._marks: dict[str, tuple[float, float]] = {}
        """Key -> (handling began, offer published): see latency.STAGES."""
        self._assigned: set[str] = set()
        self.undecodable = 0
        self.answering = threading.Event()
        """Set: accept offers at once (fixed-rate phases); clear: leave them pending."""
        prefix = settings.topic_prefix
        self._receiver = Receiver(settings, [f"{prefix}offers", f"{prefix}assignments"],
                                  self._on_batch)
        self._receiver.start()

    def _send(self, event: Event[Any]) -> None:
        while True:
            try:
                self._producer.produce(self._inputs[event.type], key=event.key,
                                       value=codec.encode(event))
                break
            except BufferError:
                self._producer.poll(0.01)
        self._producer.poll(0)

    def register_agents(self, count: int) -> None:
        events = Events(tenant=self.tenant, source=SOURCE)
        for n in range(count):
            self._send(register_bench_agent(events, n, self.queues))
        self._producer.flush(30)

    def _on_batch(self, batch: Sequence[Message], at: float) -> None:
        # The worker's instants are wall-clock; this maps them onto perf_counter, the
        # clock of publish and receipt (same machine, so the same wall clock).
        wall_to_perf = time.perf_counter() - time.time()
        for message in batch:
            try:
                event = codec.decode(message.value() or b"", max_bytes=8 * 1024 * 1024)
            except codec.DecodeError:
                self.undecodable += 1
                continue
            if event.tenant != self.tenant:
                continue
            if isinstance(event, OfferIssued):
                kind, stamp_ms = message.timestamp()
                key = key_text(message)
                with self._lock:
                    self._offered.setdefault(key, at)
                    if kind == TIMESTAMP_CREATE_TIME and key not in self._marks:
                        self._marks[key] = (event.time.timestamp() + wall_to_perf,
                                            stamp_ms / 1000 + wall_to_perf)
                if self.answering.is_set():
                    self._answer(event)
            elif event.type == "assignment.created":
                with self._lock:
                    self._assigned.add(key_text(message))
                self._finish(event.subject)

    def _envelope(self, subject: str, event_id: str) -> dict[str, Any]:
        return {"id": event_id, "tenant": self.tenant, "time": datetime.now(UTC),
                "source": SOURCE, "subject": subject, "schema_version": SCHEMA_VERSION}

    def _answer(self, offer: OfferIssued) -> None:
        self._send(AgentOfferAccepted(
            **self._envelope(offer.subject, derive_id(offer.id, "agent.offer_accepted")),
            data=OfferAcceptedData(offer_id=offer.data.offer_id,
                                   agent_id=offer.data.agent_id)))

    def _finish(self, item_id: str) -> None:
        self._send(WorkItemCompleted(**self._envelope(item_id, f"completed-{item_id}"),
                                     data=WorkItemCompletedData()))
        self._send(WorkItemClosed(**self._envelope(item_id, f"closed-{item_id}"),
                                  data=WorkItemClosedData()))

    def offered(self, keys: Sequence[str]) -> int:
        with self._lock:
            return sum(1 for key in keys if key in self._offered)

    def assigned(self, keys: Sequence[str]) -> int:
        with self._lock:
            return sum(1 for key in keys if key in self._assigned)

    def run(self, name: str, payloads: Sequence[tuple[bytes, bytes]], rate: float | None,
            wait_s: float, progress: ProgressFn, answer: bool = True) -> Phase:
        """Publish work_item.created payloads (key, value) at `rate` and time their
        offers; when answering, also wait for their assignments."""
        if answer:
            self.answering.set()
        else:
            self.answering.clear()
        metered = start_phase(self._cpu)
        batches_before = self._batches() if self._batches is not None else None
        sent = send_paced(self._producer, self._inputs["work_item.created"], payloads, rate)
        keys = list(sent)
        wait_for(lambda: self.offered(keys), len(keys), wait_s, f"{name} offers", progress)
        with self._lock:
            received = {key: self._offered[key] for key in keys if key in self._offered}
            marks = {key: self._marks[key] for key in received if key in self._marks}
        if answer:
            wait_for(lambda: self.assigned(keys), len(received), wait_s,
                     f"{name} assignments", progress)
        phase = metered(summarize(name, sent, received, marks, rate=rate))
        if batches_before is not None and self._batches is not None:
            phase = dataclasses.replace(
                phase, input_batch_mean=mean_batch(batches_before, self._batches()))
        return phase

    def close(self) -> None:
        self._receiver.stop()
        self._producer.flush(10)
