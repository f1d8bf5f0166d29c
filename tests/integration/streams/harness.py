"""Shared machinery of the stream-processor acceptance tests (issue 6).

Everything here talks to the router through its public contract only: input events are
built with the contract models and produced to the input topics; output events are read
back from the output topics and parsed with the contract codec. Nothing imports router
internals.

Pieces:
- `Feed`: a confluent-kafka producer (murmur2_random, idempotent) that publishes input
  events and remembers when the test published what (items, declines, completions).
- `Collector`: one background consumer of every output topic, from the beginning. It
  keeps every record it sees (duplicates included) with its receipt time, and calls
  listeners for each record (the simulated agents are one).
- `AgentSimulator`: reacts to `offer.issued` (accept / decline / ignore) and to
  `assignment.created` (complete, then close, after a handle time), through a small
  scheduler thread.
- Checks: functions returning a list of problems (empty when the run is clean).
"""

from __future__ import annotations

import heapq
import itertools
import json
import math
import random
import statistics
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
import yaml
from confluent_kafka import Consumer, KafkaError, Producer

from router.contract import codec
from router.contract.envelope import Event
from router.contract.inputs import (
    AgentOfferAccepted,
    AgentOfferDeclined,
    AgentPresenceChanged,
    AgentPresenceChangedData,
    AgentRegistered,
    AgentRegisteredData,
    Capacity,
    OfferAcceptedData,
    OfferDeclinedData,
    WorkItemClosed,
    WorkItemClosedData,
    WorkItemCompleted,
    WorkItemCompletedData,
    WorkItemCreated,
    WorkItemCreatedData,
)
from router.settings import Settings
from tests.integration.conftest import WorkerProcess
from tests.integration.stack import ROOT

OUTPUT_SUFFIXES = ("offers", "assignments", "declines", "item-status", "dead-letter")
OFFER_OUTCOMES = frozenset({"offer.accepted", "offer.declined", "offer.expired", "offer.revoked"})
SOURCE = "test/streams"
WORKER_ENV = {"ROUTER_SWEEP_INTERVAL_MS": "200"}
"""Extra environment for every worker of these tests: a fast expiry sweep."""

EXPIRY_TOLERANCE_S = 0.05
"""The capacity replay frees an unanswered offer this long before its deadline, so that
a deadline rounded in its RFC 3339 text never produces a false alarm."""


def topic(settings: Settings, suffix: str) -> str:
    return f"{settings.topic_prefix}{suffix}"


def now_utc() -> datetime:
    return datetime.now(UTC)


# --------------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class Cost:
    """What one item of a workstream takes from an agent (SPEC M2)."""

    units: int
    profiles: Mapping[str, int]


def derive_config(
    path: Path,
    *,
    offer_timeout_s: float,
    decline_limit: int,
    selector_expiry_s: float | None = None,
) -> dict[str, Any]:
    """Rewrite the test's routing config (the sample, for this test's tenant) in place:
    every workstream gets `offer_timeout_s` and no wrap-up (capacity is released at
    `work_item.completed`), the tenant gets `decline_limit`, and expiring selectors expire
    after `selector_expiry_s` when given. Must run before the first worker starts."""
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    tenant = data["tenants"][0]
    tenant["decline_limit"] = decline_limit
    for workstream in tenant["workstreams"]:
        workstream["offer_timeout_seconds"] = offer_timeout_s
        workstream["wrap_up"] = {"mode": "none"}
        if selector_expiry_s is None:
            continue
        for requirement in workstream.get("requirements", []):
            for selector in requirement.get("selectors", []):
                if "expires_after_seconds" in selector:
                    selector["expires_after_seconds"] = selector_expiry_s
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return data


def workstream_costs(config: Mapping[str, Any]) -> dict[str, Cost]:
    """Cost per workstream id, from `capacity: {units, profiles}` (one slot per profile)."""
    costs: dict[str, Cost] = {}
    for workstream in config["tenants"][0]["workstreams"]:
        capacity = workstream.get("capacity", {})
        costs[workstream["id"]] = Cost(
            units=int(capacity.get("units", 0)),
            profiles={name: 1 for name in capacity.get("profiles", [])},
        )
    return costs


def offer_mode(config: Mapping[str, Any]) -> dict[str, str]:
    return {
        ws["id"]: ws.get("offer_mode", "offer") for ws in config["tenants"][0]["workstreams"]
    }


# --------------------------------------------------------------------------- population


@dataclass(frozen=True)
class AgentSpec:
    id: str
    units: int
    profiles: dict[str, int]
    skills: dict[str, int]
    attributes: dict[str, Any]
    queues: list[str]
    presence: str = "available"
    """Presence at registration; anything else is changed to `available` later."""


@dataclass(frozen=True)
class ItemSpec:
    id: str
    workstream: str
    attributes: dict[str, Any]
    priority: int | None = None


def make_items(count: int, rng: random.Random, prefix: str = "item") -> list[ItemSpec]:
    """A mix over the sample's workstreams: half chat, a quarter voice, a quarter cases."""
    items: list[ItemSpec] = []
    for n in range(count):
        roll = rng.random()
        language = rng.choices(["en", "fr", "de"], weights=[60, 25, 15])[0]
        if roll < 0.5:
            attributes: dict[str, Any] = {
                "language": language,
                "topic": rng.choices(["billing", "invoice", "delivery", "other"],
                                     weights=[20, 5, 35, 40])[0],
                "vip": rng.random() < 0.05,
                "product": rng.choice(["router-pro", "router-lite"]),
            }
            items.append(ItemSpec(f"{prefix}-{n:05d}", "chat", attributes, rng.randint(0, 9)))
        elif roll < 0.75:
            attributes = {"language": language, "vip": rng.random() < 0.1}
            items.append(ItemSpec(f"{prefix}-{n:05d}", "voice", attributes, rng.randint(0, 9)))
        else:
            attributes = {"escalated": rng.random() < 0.2, "tier": rng.choice(["gold", "std"])}
            items.append(ItemSpec(f"{prefix}-{n:05d}", "cases", attributes, rng.randint(0, 9)))
    return items


ALL_QUEUES = [
    "vip", "billing_a", "billing_b", "languages", "general", "voice_general",
    "escalations", "backoffice",
]


def versatile_agents(count: int, prefix: str = "agent") -> list[AgentSpec]:
    """Agents that can take anything in the sample config, all available at once."""
    return [
        AgentSpec(
            id=f"{prefix}-{n:02d}",
            units=300,
            profiles={"chat": 3, "call": 1, "case": 5},
            skills={"en": 5, "fr": 5, "de": 5, "billing": 5},
            attributes={"certified": True, "language": "en"},
            queues=list(ALL_QUEUES),
        )
        for n in range(count)
    ]


# --------------------------------------------------------------------------- producing


class Feed:
    """Publishes input events and remembers when (wall clock, `time.time()`)."""

    def __init__(self, settings: Settings, tenant: str) -> None:
        self.settings = settings
        self.tenant = tenant
        self.producer = Producer({
            "bootstrap.servers": settings.kafka_bootstrap,
            "partitioner": "murmur2_random",
            "enable.idempotence": True,
            "acks": "all",
            "linger.ms": 2,
        })
        self._lock = threading.Lock()
        self.published_at: dict[str, float] = {}
        self.declined_at: dict[str, float] = {}
        self.completed_at: dict[str, float] = {}
        self.available_at: dict[str, float] = {}
        self.delivery_errors: list[str] = []

    def _on_delivery(self, err: KafkaError | None, _msg: Any) -> None:
        if err is not None:
            self.delivery_errors.append(str(err))

    def _send(self, suffix: str, event: Event[Any]) -> float:
        at = time.time()
        self.producer.produce(
            topic(self.settings, suffix), key=event.key, value=codec.encode(event),
            on_delivery=self._on_delivery,
        )
        self.producer.poll(0)
        return at

    def flush(self, timeout_s: float = 30.0) -> None:
        left = self.producer.flush(timeout_s)
        assert left == 0, f"{left} input events not delivered"
        assert not self.delivery_errors, f"delivery errors: {self.delivery_errors[:5]}"

    def _envelope(self, subject: str, event_id: str) -> dict[str, Any]:
        return {
            "id": event_id, "tenant": self.tenant, "time": now_utc(), "source": SOURCE,
            "subject": subject, "schema_version": 1,
        }

    def register(self, agent: AgentSpec) -> None:
        data = AgentRegisteredData(
            capacity=Capacity(units=agent.units, profiles=dict(agent.profiles)),
            skills=dict(agent.skills), attributes=dict(agent.attributes),
            queues=list(agent.queues), presence=agent.presence,
        )
        at = self._send("agents", AgentRegistered(
            **self._envelope(agent.id, f"reg-{agent.id}"), data=data))
        if agent.presence == "available":
            with self._lock:
                self.available_at[agent.id] = at

    def presence(self, agent_id: str, presence: str) -> None:
        at = self._send("agents", AgentPresenceChanged(
            **self._envelope(agent_id, f"presence-{agent_id}-{uuid.uuid4().hex[:8]}"),
            data=AgentPresenceChangedData(presence=presence)))
        if presence == "available":
            with self._lock:
                self.available_at.setdefault(agent_id, at)

    def create(self, item: ItemSpec) -> None:
        data = WorkItemCreatedData(
            workstream=item.workstream, attributes=dict(item.attributes), priority=item.priority,
        )
        at = self._send("work-items", WorkItemCreated(
            **self._envelope(item.id, f"created-{item.id}"), data=data))
        with self._lock:
            self.published_at[item.id] = at

    def accept(self, item_id: str, offer_id: str, agent_id: str) -> None:
        self._send("offer-responses", AgentOfferAccepted(
            **self._envelope(item_id, f"accept-{offer_id}"),
            data=OfferAcceptedData(offer_id=offer_id, agent_id=agent_id)))

    def decline(self, item_id: str, offer_id: str, agent_id: str) -> None:
        at = self._send("offer-responses", AgentOfferDeclined(
            **self._envelope(item_id, f"decline-{offer_id}"),
            data=OfferDeclinedData(offer_id=offer_id, agent_id=agent_id, reason="test")))
        with self._lock:
            self.declined_at[offer_id] = at

    def complete(self, item_id: str) -> None:
        at = self._send("work-items", WorkItemCompleted(
            **self._envelope(item_id, f"completed-{item_id}"), data=WorkItemCompletedData()))
        with self._lock:
            self.completed_at.setdefault(item_id, at)

    def close(self, item_id: str) -> None:
        self._send("work-items", WorkItemClosed(
            **self._envelope(item_id, f"closed-{item_id}"), data=WorkItemClosedData()))


# --------------------------------------------------------------------------- collecting


@dataclass(frozen=True)
class Seen:
    """One output record as received: the event, where it came from, and when."""

    event: Event[Any]
    topic: str
    partition: int
    offset: int
    at: float

    @property
    def type(self) -> str:
        return self.event.type

    @property
    def data(self) -> Any:
        return self.event.data


Listener = Callable[[Seen, bool], None]
"""Called for every record with `first=True` the first time its event id is seen."""


def _await_topics(consumer: Any, topics: list[str], timeout_s: float = 30.0) -> None:
    """Created topics reach the broker's metadata a moment after the creation returns;
    subscribing before that makes the consumer report them unknown (an error here)."""
    deadline = time.monotonic() + timeout_s
    while True:
        known = consumer.list_topics(timeout=5).topics
        if all(t in known and known[t].error is None for t in topics):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"topics not in the broker's metadata after {timeout_s} s")
        time.sleep(0.1)


class Collector(threading.Thread):
    """Consumes all output topics from the beginning, in a background thread."""

    def __init__(self, settings: Settings, tenant: str) -> None:
        super().__init__(name="output-collector", daemon=True)
        self.settings = settings
        self.tenant = tenant
        self.suffix_of = {topic(settings, s): s for s in OUTPUT_SUFFIXES}
        self._consumer = Consumer({
            "bootstrap.servers": settings.kafka_bootstrap,
            "group.id": f"test-collector-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        })
        _await_topics(self._consumer, list(self.suffix_of))
        self._consumer.subscribe(list(self.suffix_of))
        self._stop_event = threading.Event()
        self.lock = threading.Lock()
        self.records: list[Seen] = []
        self.first_by_id: dict[str, Seen] = {}
        self.undecodable: list[str] = []
        self.errors: list[str] = []
        self.listeners: list[Listener] = []
        self.last_record_at = time.time()
        self.assigned: dict[str, float] = {}
        """Item id -> receipt time of its first assignment.created."""
        self.first_offer_at: dict[str, float] = {}

    def run(self) -> None:
        while not self._stop_event.is_set():
            messages = self._consumer.consume(num_messages=1000, timeout=0.2)
            for message in messages:
                error = message.error()
                if error is not None:
                    if error.code() != KafkaError._PARTITION_EOF:
                        self.errors.append(str(error))
                    continue
                self._take(message)
        self._consumer.close()

    def _take(self, message: Any) -> None:
        at = time.time()
        name = message.topic()
        try:
            event = codec.decode(message.value())
        except codec.DecodeError as exc:
            with self.lock:
                self.undecodable.append(f"{name}/{message.partition()}/{message.offset()}: {exc}")
            return
        if event.tenant != self.tenant:
            return
        seen = Seen(event, self.suffix_of[name], message.partition(), message.offset(), at)
        with self.lock:
            self.records.append(seen)
            self.last_record_at = at
            first = event.id not in self.first_by_id
            if first:
                self.first_by_id[event.id] = seen
                if seen.type == "assignment.created":
                    self.assigned.setdefault(event.subject, at)
                elif seen.type == "offer.issued":
                    self.first_offer_at.setdefault(event.subject, at)
        for listener in self.listeners:
            listener(seen, first)

    def stop(self) -> None:
        self._stop_event.set()
        self.join(10)

    def snapshot(self) -> list[Seen]:
        with self.lock:
            return list(self.records)

    def assigned_items(self) -> set[str]:
        with self.lock:
            return set(self.assigned)

    def wait_quiet(self, quiet_s: float = 3.0, timeout_s: float = 30.0) -> None:
        """Wait until no output record arrived for `quiet_s` (late outcomes, duplicates)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self.lock:
                idle = time.time() - self.last_record_at
            if idle >= quiet_s:
                return
            time.sleep(0.2)


# --------------------------------------------------------------------------- agents


class Scheduler(threading.Thread):
    """Runs callables at given wall-clock times, one after the other."""

    def __init__(self) -> None:
        super().__init__(name="agent-scheduler", daemon=True)
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._stopped = False
        self.failures: list[str] = []

    def at(self, when: float, action: Callable[[], None]) -> None:
        with self._cond:
            heapq.heappush(self._heap, (when, next(self._seq), action))
            self._cond.notify()

    def run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped and (not self._heap or self._heap[0][0] > time.time()):
                    wait = self._heap[0][0] - time.time() if self._heap else None
                    self._cond.wait(wait)
                if self._stopped:
                    return
                _, _, action = heapq.heappop(self._heap)
            try:
                action()
            except Exception as exc:  # keep simulating; report at the end
                self.failures.append(repr(exc))

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()
        self.join(10)


@dataclass
class AgentPolicy:
    accept: float = 0.8
    decline: float = 0.1
    """The rest of the offers are ignored (left to expire)."""
    respond_delay_s: tuple[float, float] = (0.02, 0.3)
    handle_s: tuple[float, float] = (0.2, 1.5)
    close_delay_s: float = 0.02
    seed: int = 6


@dataclass
class AgentSimulator:
    """The simulated agent desktops: one listener on the collector, one scheduler."""

    feed: Feed
    agents: Mapping[str, AgentSpec]
    policy: AgentPolicy
    scheduler: Scheduler = field(default_factory=Scheduler)
    decisions: dict[str, str] = field(default_factory=dict)
    """offer_id -> accept / decline / ignore."""
    completing: set[str] = field(default_factory=set)
    foreign_offers: list[str] = field(default_factory=list)

    def start(self, collector: Collector) -> None:
        self.scheduler.start()
        collector.listeners.append(self.on_record)

    def stop(self) -> None:
        self.scheduler.stop()

    def on_record(self, seen: Seen, first: bool) -> None:
        if not first:
            return  # a redelivered output: the desktop already reacted to it
        if seen.type == "offer.issued":
            self._on_offer(seen)
        elif seen.type == "assignment.created":
            self._on_assignment(seen)

    def _on_offer(self, seen: Seen) -> None:
        data = seen.data
        if data.agent_id not in self.agents:
            self.foreign_offers.append(f"{seen.event.subject} -> {data.agent_id}")
            return
        rng = random.Random(f"{self.policy.seed}/{data.offer_id}")
        roll = rng.random()
        item_id = seen.event.subject
        when = time.time() + rng.uniform(*self.policy.respond_delay_s)
        if roll < self.policy.accept:
            self.decisions[data.offer_id] = "accept"
            self.scheduler.at(when, lambda: self.feed.accept(item_id, data.offer_id, data.agent_id))
        elif roll < self.policy.accept + self.policy.decline:
            self.decisions[data.offer_id] = "decline"
            self.scheduler.at(
                when, lambda: self.feed.decline(item_id, data.offer_id, data.agent_id))
        else:
            self.decisions[data.offer_id] = "ignore"

    def _on_assignment(self, seen: Seen) -> None:
        item_id = seen.event.subject
        if item_id in self.completing:
            return
        self.completing.add(item_id)
        rng = random.Random(f"{self.policy.seed}/handle/{item_id}")
        when = time.time() + rng.uniform(*self.policy.handle_s)
        self.scheduler.at(when, lambda: self.feed.complete(item_id))
        self.scheduler.at(when + self.policy.close_delay_s, lambda: self.feed.close(item_id))


# --------------------------------------------------------------------------- waiting


def worker_hint(workers: Sequence[WorkerProcess], lines: int = 25) -> str:
    parts: list[str] = []
    for worker in workers:
        try:
            text = worker.log_text()
        except OSError as exc:
            parts.append(f"--- {worker.log_path.name}: unreadable ({exc})")
            continue
        errors = sum(text.count(word) for word in ("Traceback", "ERROR", "CRITICAL"))
        tail = "\n".join(text.splitlines()[-lines:])
        parts.append(f"--- {worker.log_path} ({errors} error markers), last lines:\n{tail}")
    return "\n".join(parts)


def wait_all_assigned(
    collector: Collector,
    item_ids: Sequence[str],
    timeout_s: float,
    workers: Sequence[WorkerProcess],
) -> None:
    deadline = time.monotonic() + timeout_s
    wanted = set(item_ids)
    while time.monotonic() < deadline:
        if wanted <= collector.assigned_items():
            return
        time.sleep(0.25)
    missing = sorted(wanted - collector.assigned_items())
    counts: dict[str, int] = defaultdict(int)
    for seen in collector.snapshot():
        counts[seen.type] += 1
    raise AssertionError(
        f"{len(missing)} of {len(wanted)} items not assigned after {timeout_s:.0f}s: "
        f"{missing[:40]}{' ...' if len(missing) > 40 else ''}\n"
        f"output events seen: {dict(counts)}\n"
        f"undecodable outputs: {collector.undecodable[:5]}\n{worker_hint(workers)}"
    )


# --------------------------------------------------------------------------- checks


def _first_seen(records: Iterable[Seen]) -> list[Seen]:
    seen_ids: set[str] = set()
    out: list[Seen] = []
    for record in records:
        if record.event.id not in seen_ids:
            seen_ids.add(record.event.id)
            out.append(record)
    return out


def check_output_hygiene(collector: Collector) -> list[str]:
    """Decodable outputs; duplicates (same id) only with identical content and topic; no
    dead letters for the test's valid inputs; an item's events on one partition per topic."""
    problems = [f"undecodable output {u}" for u in collector.undecodable[:20]]
    problems += [f"collector error {e}" for e in collector.errors[:5]]
    records = collector.snapshot()
    first: dict[str, Seen] = {}
    partitions: dict[tuple[str, str], set[int]] = defaultdict(set)
    for record in records:
        partitions[(record.topic, record.event.subject)].add(record.partition)
        if record.topic == "dead-letter":
            problems.append(f"dead letter for a valid test input: {record.data.reason!r}")
            continue
        original = first.setdefault(record.event.id, record)
        if original is record:
            continue
        if original.topic != record.topic or msgspec.to_builtins(
            original.event
        ) != msgspec.to_builtins(record.event):
            problems.append(
                f"event id {record.event.id} re-emitted with different content: "
                f"{msgspec.to_builtins(original.event)} vs {msgspec.to_builtins(record.event)}"
            )
    for (topic_suffix, subject), parts in partitions.items():
        if len(parts) > 1 and topic_suffix != "dead-letter":
            problems.append(f"{subject}: events on several partitions of {topic_suffix}: {parts}")
    return problems


def check_assigned_exactly_once(
    collector: Collector, items: Sequence[ItemSpec], costs: Mapping[str, Cost],
    modes: Mapping[str, str],
) -> list[str]:
    """One distinct assignment.created (one id, one assignment_id) per item, for an agent
    of the test, costing what its workstream costs; `via` matches the workstream's mode,
    and an accepted offer's assignment names that offer and its agent."""
    problems: list[str] = []
    known = {item.id: item for item in items}
    offers = {
        r.data.offer_id: r for r in _first_seen(collector.snapshot()) if r.type == "offer.issued"
    }
    by_item: dict[str, list[Seen]] = defaultdict(list)
    for record in _first_seen(collector.snapshot()):
        if record.type == "assignment.created":
            by_item[record.event.subject].append(record)
    for item_id, assignments in by_item.items():
        if item_id not in known:
            problems.append(f"assignment for an unknown item {item_id}")
            continue
        if len(assignments) != 1:
            problems.append(
                f"{item_id} assigned {len(assignments)} times: "
                + ", ".join(f"{a.data.agent_id} (id {a.event.id})" for a in assignments)
            )
            continue
        data = assignments[0].data
        item = known[item_id]
        cost = costs[item.workstream]
        if data.capacity_units != cost.units or dict(data.capacity_profiles) != dict(
            cost.profiles
        ):
            problems.append(
                f"{item_id}: assignment costs {data.capacity_units} units and "
                f"{data.capacity_profiles}, workstream {item.workstream} costs {cost}"
            )
        expected_via = "direct" if modes[item.workstream] == "direct" else "offer"
        if data.via != expected_via:
            problems.append(f"{item_id}: assignment via {data.via}, expected {expected_via}")
        if data.via == "offer":
            offer = offers.get(data.offer_id)
            if offer is None:
                problems.append(f"{item_id}: assignment names offer {data.offer_id}, never seen")
            elif offer.data.agent_id != data.agent_id or offer.event.subject != item_id:
                problems.append(
                    f"{item_id}: assigned to {data.agent_id} through offer {data.offer_id} "
                    f"of {offer.data.agent_id} for {offer.event.subject}"
                )
    missing = sorted(set(known) - set(by_item))
    if missing:
        problems.append(f"{len(missing)} items never assigned: {missing[:20]}")
    return problems


def _offers_by_item(collector: Collector) -> dict[str, list[Seen]]:
    """Offers-topic events per item, first occurrence of each id, in partition order."""
    by_item: dict[str, list[Seen]] = defaultdict(list)
    for record in _first_seen(collector.snapshot()):
        if record.topic == "offers":
            by_item[record.event.subject].append(record)
    for records in by_item.values():
        records.sort(key=lambda r: (r.partition, r.offset))
    return by_item


def check_offer_sequence(collector: Collector, agents: Mapping[str, AgentSpec]) -> list[str]:
    """Per item, in the order of the offers topic: at most one pending offer at a time
    (Invariant 1), offers only to the test's agents and to queues they belong to, outcomes
    only for offers issued before them, at most one outcome per offer."""
    problems: list[str] = []
    for item_id, records in _offers_by_item(collector).items():
        pending: dict[str, str] = {}
        issued: set[str] = set()
        decided: set[str] = set()
        for record in records:
            data = record.data
            if record.type == "offer.issued":
                if pending:
                    problems.append(
                        f"{item_id}: offer {data.offer_id} to {data.agent_id} (offset "
                        f"{record.offset}) while offer(s) {sorted(pending.items())} still "
                        f"pending{_late_outcome_note(records, pending, record)}"
                    )
                agent = agents.get(data.agent_id)
                if agent is None:
                    problems.append(f"{item_id}: offered to unknown agent {data.agent_id}")
                elif data.queue not in agent.queues:
                    problems.append(
                        f"{item_id}: offered from queue {data.queue} to {data.agent_id}, "
                        f"not a member (queues {agent.queues})"
                    )
                pending[data.offer_id] = data.agent_id
                issued.add(data.offer_id)
            elif record.type in OFFER_OUTCOMES:
                if data.offer_id not in issued:
                    problems.append(
                        f"{item_id}: {record.type} for offer {data.offer_id} not issued before"
                    )
                elif data.offer_id in decided:
                    problems.append(f"{item_id}: second outcome {record.type} for {data.offer_id}")
                decided.add(data.offer_id)
                pending.pop(data.offer_id, None)
    return problems


def _late_outcome_note(records: Sequence[Seen], pending: Mapping[str, str], new: Seen) -> str:
    """Says so when a pending offer's outcome comes later in the topic with an event time
    before the new offer's: the decision order was right, the publication order was not."""
    for record in records:
        if (
            record.type in OFFER_OUTCOMES and record.data.offer_id in pending
            and record.offset > new.offset and record.event.time <= new.event.time
        ):
            return (
                f" (its {record.type}, event time {record.event.time.isoformat()}, was "
                f"published after it at offset {record.offset}: an item's outputs must be "
                "published in the order of the decisions)"
            )
    return ""


def check_no_lost_offers(collector: Collector) -> list[str]:
    """Every offer.issued has an outcome (accepted/declined/expired/revoked) on the offers
    topic or an assignment.created naming it."""
    records = _first_seen(collector.snapshot())
    resolved = {
        r.data.offer_id for r in records
        if r.type in OFFER_OUTCOMES or (r.type == "assignment.created" and r.data.offer_id)
    }
    lost = [
        f"{r.event.subject}/{r.data.offer_id} -> {r.data.agent_id}"
        for r in records if r.type == "offer.issued" and r.data.offer_id not in resolved
    ]
    return [f"{len(lost)} offers without outcome: {lost[:20]}"] if lost else []


def check_decline_limit(collector: Collector, limit: int) -> list[str]:
    """Declines and expiries per (item, agent) come from decline.recorded; once an agent
    has `limit` of them for an item, no later offer of that item goes to that agent
    ("later" in the order of the item's offers-topic events). Every offer.declined and
    offer.expired has its decline.recorded with the same offer_id and cause."""
    problems: list[str] = []
    records = _first_seen(collector.snapshot())
    recorded: dict[str, Seen] = {}
    per_pair: dict[tuple[str, str], list[str]] = defaultdict(list)
    for record in records:
        if record.type == "decline.recorded":
            data = record.data
            if data.offer_id is None:
                problems.append(f"{record.event.subject}: decline.recorded without offer_id")
                continue
            if data.offer_id in recorded:
                problems.append(f"{record.event.subject}: offer {data.offer_id} recorded twice")
            recorded[data.offer_id] = record
            per_pair[(record.event.subject, data.agent_id)].append(data.offer_id)
    for record in records:
        if record.type in ("offer.declined", "offer.expired"):
            cause = "declined" if record.type == "offer.declined" else "expired"
            match = recorded.get(record.data.offer_id)
            if match is None or match.data.cause != cause:
                problems.append(
                    f"{record.event.subject}: {record.type} {record.data.offer_id} without a "
                    f"decline.recorded of cause {cause}"
                )
    by_item = _offers_by_item(collector)
    for (item_id, agent_id), offer_ids in per_pair.items():
        if len(offer_ids) > limit:
            problems.append(f"{item_id}: {agent_id} has {len(offer_ids)} declines > limit {limit}")
        if len(offer_ids) < limit:
            continue
        position = {
            r.data.offer_id: i for i, r in enumerate(by_item.get(item_id, []))
            if r.type == "offer.issued"
        }
        known = sorted(position[o] for o in offer_ids if o in position)
        if len(known) < limit:
            problems.append(f"{item_id}: declined offers of {agent_id} missing from offers topic")
            continue
        reached = known[limit - 1]
        for i, r in enumerate(by_item[item_id]):
            if i > reached and r.type == "offer.issued" and r.data.agent_id == agent_id:
                problems.append(
                    f"{item_id}: offered to {agent_id} again ({r.data.offer_id}) after "
                    f"{limit} declines/expiries"
                )
    return problems


def check_presence(collector: Collector, feed: Feed) -> list[str]:
    """No offer or assignment reached the test before it made the agent available."""
    problems: list[str] = []
    for record in _first_seen(collector.snapshot()):
        if record.type in ("offer.issued", "assignment.created"):
            agent_id = record.data.agent_id
            available = feed.available_at.get(agent_id, math.inf)
            if record.at < available:
                problems.append(
                    f"{record.event.subject}: {record.type} to {agent_id} before the agent "
                    "was made available"
                )
    return problems


def check_capacity(
    collector: Collector, feed: Feed, agents: Mapping[str, AgentSpec],
    items: Sequence[ItemSpec], costs: Mapping[str, Cost],
) -> list[str]:
    """Replays offers and assignments against each agent's registered capacity.

    An offer holds its item's cost from the moment the test received offer.issued. An
    offer that did not become an assignment frees it at the earliest of: the test's
    decline, the offer's deadline, any declined/expired/revoked outcome received. An
    assignment (accepted offer or direct) holds until the test published
    work_item.completed (no wrap-up). Every choice errs in the router's favour (holds
    start late, end early), so a reported overload is a real one.
    """
    workstream = {item.id: item.workstream for item in items}
    records = _first_seen(collector.snapshot())
    outcome_at: dict[str, float] = {}
    assignment_by_offer: dict[str, Seen] = {}
    direct: list[Seen] = []
    for record in records:
        if record.type in ("offer.declined", "offer.expired", "offer.revoked"):
            outcome_at.setdefault(record.data.offer_id, record.at)
        elif record.type == "assignment.created":
            if record.data.offer_id:
                assignment_by_offer.setdefault(record.data.offer_id, record)
            else:
                direct.append(record)
    # (time, 0 = release / 1 = hold, agent, item, what)
    timeline: list[tuple[float, int, str, str, str]] = []
    offered: set[str] = set()
    for record in records:
        if record.type != "offer.issued":
            continue
        data = record.data
        offered.add(data.offer_id)
        item_id = record.event.subject
        timeline.append((record.at, 1, data.agent_id, item_id, f"offer {data.offer_id}"))
        if data.offer_id in assignment_by_offer:
            end = feed.completed_at.get(item_id, math.inf)
        else:
            end = min(
                data.deadline.timestamp() - EXPIRY_TOLERANCE_S,
                feed.declined_at.get(data.offer_id, math.inf),
                outcome_at.get(data.offer_id, math.inf),
            )
        timeline.append((end, 0, data.agent_id, item_id, f"offer {data.offer_id}"))
    for offer_id, record in assignment_by_offer.items():
        if offer_id not in offered:  # lost offer (reported elsewhere): hold from assignment
            direct.append(record)
    for record in direct:
        item_id = record.event.subject
        timeline.append((record.at, 1, record.data.agent_id, item_id, "assignment"))
        timeline.append(
            (feed.completed_at.get(item_id, math.inf), 0, record.data.agent_id, item_id,
             "assignment"))
    timeline.sort(key=lambda entry: (entry[0], entry[1]))
    units: dict[str, int] = defaultdict(int)
    slots: dict[tuple[str, str], int] = defaultdict(int)
    holding: dict[str, set[str]] = defaultdict(set)
    problems: list[str] = []
    for at, kind, agent_id, item_id, what in timeline:
        if item_id not in workstream or agent_id not in agents:
            continue  # reported by the other checks
        cost = costs[workstream[item_id]]
        sign = 1 if kind == 1 else -1
        units[agent_id] += sign * cost.units
        for profile, n in cost.profiles.items():
            slots[(agent_id, profile)] += sign * n
        if kind == 0:
            holding[agent_id].discard(f"{item_id} ({what})")
            continue
        holding[agent_id].add(f"{item_id} ({what})")
        agent = agents[agent_id]
        over = units[agent_id] > agent.units or any(
            slots[(agent_id, p)] > agent.profiles.get(p, 0) for p in cost.profiles
        )
        if over and len(problems) < 20:
            problems.append(
                f"{agent_id} over capacity at {at:.3f} after {what} for {item_id}: "
                f"{units[agent_id]}/{agent.units} units, profiles "
                f"{ {p: slots[(agent_id, p)] for p in agent.profiles} } / {agent.profiles}; "
                f"holding {sorted(holding[agent_id])}"
            )
    return problems


def assert_clean(problems: Sequence[str], what: str) -> None:
    assert not problems, f"{what}: {len(problems)} problem(s):\n" + "\n".join(problems[:40])


def assert_all_clean(sections: Mapping[str, Sequence[str]]) -> None:
    """One failure listing every check that found something, so one run shows all."""
    failing = {what: problems for what, problems in sections.items() if problems}
    lines: list[str] = []
    for what, problems in failing.items():
        lines.append(f"== {what}: {len(problems)} problem(s)")
        lines += [f"   {p}" for p in problems[:15]]
    assert not failing, "\n".join(lines)


def standard_checks(
    collector: Collector, feed: Feed, simulator: AgentSimulator, items: Sequence[ItemSpec],
    costs: Mapping[str, Cost], modes: Mapping[str, str], decline_limit: int,
) -> dict[str, list[str]]:
    """The guarantees every run must keep (see each check's docstring)."""
    agents = simulator.agents
    return {
        "simulated agents": list(simulator.scheduler.failures),
        "offers to agents the test never registered": list(simulator.foreign_offers),
        "output events": check_output_hygiene(collector),
        "assigned exactly once": check_assigned_exactly_once(collector, items, costs, modes),
        "offer sequence per item": check_offer_sequence(collector, agents),
        "no lost offer": check_no_lost_offers(collector),
        "decline limit": check_decline_limit(collector, decline_limit),
        "presence": check_presence(collector, feed),
        "capacity": check_capacity(collector, feed, agents, items, costs),
    }


# --------------------------------------------------------------------------- measuring


def dump_events(collector: Collector, path: Path) -> None:
    """Every output record as received (duplicates included), one JSON object a line, to
    read when a check fails."""
    with path.open("w") as out:
        for record in collector.snapshot():
            out.write(json.dumps({
                "at": record.at, "topic": record.topic, "partition": record.partition,
                "offset": record.offset, "event": msgspec.to_builtins(record.event),
            }) + "\n")


def _quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return math.nan
    index = min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))
    return ordered[index]


def measure(
    name: str, collector: Collector, feed: Feed, items: Sequence[ItemSpec],
    modes: Mapping[str, str], extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Latency from publishing an item to receiving its first offer.issued (offer-mode
    workstreams) or its assignment.created (direct mode), and items/s over the run.
    Printed, and written to var/test/reports/streams-<name>.json."""
    offer_ms: list[float] = []
    direct_ms: list[float] = []
    for item in items:
        published = feed.published_at[item.id]
        if modes[item.workstream] == "direct":
            if item.id in collector.assigned:
                direct_ms.append((collector.assigned[item.id] - published) * 1000)
        elif item.id in collector.first_offer_at:
            offer_ms.append((collector.first_offer_at[item.id] - published) * 1000)
    start = min(feed.published_at[item.id] for item in items)
    end = max(collector.assigned.get(item.id, start) for item in items)
    counts: dict[str, int] = defaultdict(int)
    for record in _first_seen(collector.snapshot()):
        counts[record.type] += 1
    report: dict[str, Any] = {
        "test": name,
        "items": len(items),
        "run_seconds": round(end - start, 3),
        "items_per_second": round(len(items) / (end - start), 2) if end > start else None,
        "first_offer_latency_ms": {
            "count": len(offer_ms),
            "median": round(statistics.median(offer_ms), 2) if offer_ms else None,
            "p99": round(_quantile(offer_ms, 0.99), 2) if offer_ms else None,
        },
        "direct_assignment_latency_ms": {
            "count": len(direct_ms),
            "median": round(statistics.median(direct_ms), 2) if direct_ms else None,
            "p99": round(_quantile(direct_ms, 0.99), 2) if direct_ms else None,
        },
        "distinct_output_events": dict(sorted(counts.items())),
        **(extra or {}),
    }
    path = ROOT / "var" / "test" / "reports" / f"streams-{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2))
    dump_events(collector, path.with_name(f"streams-{name}-events.jsonl"))
    print(f"\n[{name}] {json.dumps(report, indent=2)}\n(written to {path})")
    return report
