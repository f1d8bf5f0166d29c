"""The demo's simulated agents: sign-off is for good."""

from __future__ import annotations

import random
from typing import Any

from router.client import Events
from router.contract.envelope import Event
from router.demo.agents import AgentFloor
from router.demo.population import AgentProfile
from router.demo.schedule import Scheduler
from router.demo.stats import LiveStats


class Sent(Events):
    """The SDK's builders, keeping what would have been published."""

    def __init__(self) -> None:
        super().__init__(tenant="acme", source="test/demo")
        self.events: list[Event[Any]] = []

    def _emit(self, event: Event[Any]) -> Event[Any]:
        self.events.append(super()._emit(event))
        return event


def test_a_break_ending_after_sign_off_does_not_bring_the_agent_back() -> None:
    sent = Sent()
    agents = [AgentProfile(id=f"a{n}", units=1, profiles={}, skills={}, attributes={},
                           queues=["general"], decline_rate=0.0) for n in range(2)]
    floor = AgentFloor(sent, agents, LiveStats("acme"), Scheduler(),  # type: ignore[arg-type]
                       random.Random(1))
    floor.sign_off()
    floor._back("a0")  # its break was due just as the demo stopped
    presences = [e.data.presence for e in sent.events
                 if e.type == "agent.presence_changed" and e.subject == "a0"]
    assert presences == ["offline"]
