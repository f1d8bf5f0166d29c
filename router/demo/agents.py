"""Simulated agent desktops: register, take breaks, answer offers, work, wrap up.

They behave like people, not like a load test: an offer is answered after a think time
(a few seconds, lognormal), most are accepted, choosy agents decline more, a few offers
are missed and left to expire; accepted work is completed after an exponential handle
time and closed after a short wrap-up, which frees the capacity it held.
"""

from __future__ import annotations

import random
import threading
from typing import Any

from router.client import Delivery, Publisher
from router.contract.envelope import Event
from router.contract.outputs import OfferIssued
from router.demo.population import (
    MEAN_HANDLE_S,
    MEAN_THINK_S,
    MEAN_WRAP_S,
    AgentProfile,
    agent_registration,
)
from router.demo.schedule import Scheduler
from router.demo.stats import LiveStats

MISS_RATE = 0.02
BREAK_STATUSES = ("lunch", "away", "in_training")


class AgentFloor:
    """All simulated agents of one demo run, driven by the router's output events."""

    def __init__(self, publisher: Publisher, agents: list[AgentProfile], stats: LiveStats,
                 scheduler: Scheduler, rng: random.Random) -> None:
        self.publisher = publisher
        self.agents = {agent.id: agent for agent in agents}
        self.stats = stats
        self.scheduler = scheduler
        self.rng = rng
        self.channel_of: dict[str, str] = {}
        """Item id -> channel, filled by the connectors (handle times differ by channel)."""
        self._on_break: set[str] = set()
        self._signed_off = False
        self._lock = threading.Lock()

    def _watch(self, delivery: Delivery) -> None:
        def noted(done: Delivery) -> None:
            if done.exception() is not None:
                self.stats.notes.append(f"a send failed: {done.exception()}")
        delivery.add_done_callback(noted)

    def _update_presence_counts(self) -> None:
        self.stats.agents = len(self.agents)
        self.stats.agents_available = len(self.agents) - len(self._on_break)

    def register_all(self) -> None:
        for agent in self.agents.values():
            self._watch(self.publisher.register_agent(agent.id, **agent_registration(agent)))
        self._update_presence_counts()

    def sign_off(self) -> None:
        """Everyone goes offline, so a later run's items are not offered to ghosts. Under
        the lock, and for good: a break ending meanwhile would set its agent available
        again after this."""
        with self._lock:
            self._signed_off = True
            for agent_id in self.agents:
                self.publisher.set_presence(agent_id, "offline")

    # ------------------------------------------------------------------ breaks

    def start_breaks(self, every_s: float = 10.0) -> None:
        """Now and then an available agent takes a break of 20 to 60 seconds."""
        def take_break() -> None:
            with self._lock:
                if self._signed_off:
                    return
                free = [a for a in self.agents if a not in self._on_break]
                if len(free) > 1:
                    agent_id = self.rng.choice(free)
                    self._on_break.add(agent_id)
                    status = self.rng.choice(BREAK_STATUSES)
                    self.publisher.set_presence(agent_id, status)
                    self.scheduler.after(self.rng.uniform(20, 60), lambda: self._back(agent_id))
                self._update_presence_counts()
            self.scheduler.after(self.rng.expovariate(1 / every_s), take_break)
        self.scheduler.after(self.rng.expovariate(1 / every_s), take_break)

    def _back(self, agent_id: str) -> None:
        with self._lock:
            if self._signed_off:
                return
            self._on_break.discard(agent_id)
            self.publisher.set_presence(agent_id, "available")
            self._update_presence_counts()

    # ------------------------------------------------------------------ router output

    def on_event(self, event: Event[Any]) -> None:
        agent_id = getattr(event.data, "agent_id", None)
        if agent_id not in self.agents:
            return
        if isinstance(event, OfferIssued):
            self._on_offer(event)
        elif event.type == "assignment.created":
            self._on_assignment(event.subject)

    def _on_offer(self, offer: OfferIssued) -> None:
        agent = self.agents[offer.data.agent_id]
        if self.rng.random() < MISS_RATE:
            return  # missed: the router expires the offer at its deadline
        think = self.rng.lognormvariate(0, 0.6) * MEAN_THINK_S / 1.2
        if self.rng.random() < agent.decline_rate:
            self.scheduler.after(think, lambda: self._watch(
                self.publisher.decline(offer, reason="busy with something else")))
        else:
            self.scheduler.after(think, lambda: self._watch(self.publisher.accept(offer)))

    def _on_assignment(self, item_id: str) -> None:
        channel = self.channel_of.get(item_id, "messaging")
        handle = self.rng.expovariate(1 / MEAN_HANDLE_S.get(channel, 20.0))
        wrap = self.rng.expovariate(1 / MEAN_WRAP_S)

        def complete() -> None:
            self._watch(self.publisher.complete_item(item_id))
            self.scheduler.after(wrap, close)

        def close() -> None:
            self._watch(self.publisher.close_item(item_id))
            self.channel_of.pop(item_id, None)
            self.stats.finished(item_id)

        self.scheduler.after(handle, complete)
