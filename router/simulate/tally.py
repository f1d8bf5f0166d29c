"""What happened during a run, recorded as the engine sees the router's outputs.

Only items that arrive after the warm-up count, and agent time counts only inside the
measured window, so the figures describe the steady state rather than the empty start.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class ItemTrack:
    arrived: float
    stream: int
    counted: bool
    handle: float = 0.0
    queue: str | None = None
    offered: float | None = None
    """First offer, or the assignment when there was none (direct): the end of the
    queueing, before the agent's think time."""
    assigned: float | None = None
    agent: str | None = None
    abandoned: float | None = None
    unclassified: bool = False

    @property
    def wait(self) -> float | None:
        return None if self.assigned is None else self.assigned - self.arrived

    @property
    def queued(self) -> bool:
        """Waited in its queue for an agent, rather than being offered on arrival."""
        reached = self.offered if self.offered is not None else self.assigned
        return reached is not None and reached > self.arrived


@dataclass
class AgentTrack:
    """Occupied: the share of the agent's capacity held by items (handling or wrap-up)
    while staffed, so a chat agent with one of three chats is a third occupied. Staffed:
    base presence available or busy. Both are integrated over the measured window."""

    id: str
    group: str
    staffed: bool = False
    active: float = 0.0
    handled: int = 0
    last: float = 0.0
    staffed_s: float = 0.0
    occupied_s: float = 0.0

    def advance(self, now: float, window: tuple[float, float]) -> None:
        start, end = max(self.last, window[0]), min(now, window[1])
        if end > start:
            if self.staffed:
                self.staffed_s += end - start
            if self.staffed:
                self.occupied_s += min(self.active, 1.0) * (end - start)
        self.last = max(self.last, now)


@dataclass
class Tally:
    window: tuple[float, float]
    items: dict[str, ItemTrack] = field(default_factory=dict)
    agents: dict[str, AgentTrack] = field(default_factory=dict)
    offers: Counter[str] = field(default_factory=Counter)
    assignments: Counter[str] = field(default_factory=Counter)
    outputs: Counter[str] = field(default_factory=Counter)
    inputs_handled: int = 0

    def staffing(self, agent_id: str, now: float, staffed: bool) -> None:
        agent = self.agents[agent_id]
        agent.advance(now, self.window)
        agent.staffed = staffed

    def occupy(self, agent_id: str, now: float, delta: float) -> None:
        agent = self.agents.get(agent_id)
        if agent is None:
            return
        agent.advance(now, self.window)
        agent.active = max(agent.active + delta, 0.0)
        if delta > 0 and self.window[0] <= now <= self.window[1]:
            agent.handled += 1

    def finish(self, now: float) -> None:
        for agent in self.agents.values():
            agent.advance(now, self.window)
