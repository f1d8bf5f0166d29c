"""The discrete-event loop: a virtual clock driving the real routing service.

Nothing of the router is replaced: the same `RoutingService`, core and in-memory store
the tests trust handle contract input events stamped with virtual time, and the
worker's own `Sweeper` turns due offers, wrap-ups, expired items and queue sweeps into
timer events.
The engine only plays the world around the router: connectors creating (and customers
abandoning) items, agents answering offers, handling and wrapping up. It reacts to the
router's outputs exactly as desktops would, so what the report shows is what the router
would do with that traffic.

Random streams are split by purpose (arrivals per stream, per-item times, each agent
group's behaviour), and an item's handle time and patience are drawn when it arrives,
so two scenarios that differ only in staffing see the very same traffic (common random
numbers): their difference is the staffing, not the luck of the draw.
"""

from __future__ import annotations

import heapq
import itertools
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from router.contract import inputs as i
from router.contract import outputs as o
from router.contract.envelope import SCHEMA_VERSION, Event
from router.service.handlers import RoutingService
from router.service.outputs import utc
from router.service.tenancy import TenantRouting, tenants_of
from router.simulate.scenario import AgentGroup, Arrivals, Loaded
from router.simulate.tally import AgentTrack, ItemTrack, Tally
from router.state.memory_store import MemoryBackend
from router.state.model import StoreConfig
from router.streams.sweeper import Sweeper

Progress = Callable[[float, Tally], None]
Action = Callable[[], Awaitable[None]]

STAFFED = ("available", "busy")
"""Base presences whose time counts as staffed in the occupancy figure."""

PROGRESS_EVERY_S = 2.0
"""Wall-clock seconds between two progress reports."""

STORE_CONFIG = StoreConfig(seen_retention_seconds=900.0, seen_max=200_000)
"""Nothing is redelivered in a simulation, so idempotency records need only outlive
the commits that look them up; a long run would otherwise keep a day of them."""


@dataclass(frozen=True)
class Result:
    loaded: Loaded
    tally: Tally
    config_version: str
    wall_s: float


@dataclass
class _Live:
    """An item the engine is playing the world for."""

    stream: Arrivals
    handle_s: float
    patience_s: float | None
    agent: str | None = None
    share: float = 0.0


class Simulation:
    def __init__(self, loaded: Loaded, progress: Progress | None = None,
                 config_version: str = "simulation") -> None:
        scenario = loaded.scenario
        self._loaded = loaded
        self._scenario = scenario
        self._tenant = loaded.tenant.id
        self._epoch = scenario.start.timestamp()
        self._end = float(scenario.duration)
        self._progress = progress
        self._config_version = config_version
        self.now = 0.0
        self._heap: list[tuple[float, int, Action]] = []
        self._seq = itertools.count()
        self._ids = itertools.count(1)
        self._store = MemoryBackend(STORE_CONFIG).tenant(self._tenant)
        tenants = tenants_of(loaded.config, {self._tenant: self._store}, config_version)
        self._routing: TenantRouting = tenants[self._tenant]
        self.service = RoutingService(tenants, clock=lambda: self._epoch + self.now)
        self._timers: list[Event[Any]] = []
        self._sweeper = Sweeper(tenants, self._send_timer,
                                queue_sweep_s=float(scenario.timers.queue_sweep))
        self.tally = Tally(window=(float(scenario.warm_up), self._end))
        self._live: dict[str, _Live] = {}
        self._groups: dict[str, AgentGroup] = {}
        self._item_rng = random.Random(f"{scenario.seed}/items")
        self._arrival_rngs = [random.Random(f"{scenario.seed}/arrivals/{n}")
                              for n in range(len(scenario.arrivals))]
        self._agent_rngs = {g.name: random.Random(f"{scenario.seed}/agents/{g.name}")
                            for g in scenario.agents}
        self._wrap_up = {w.id: w.wrap_up for w in loaded.tenant.workstreams}
        self._cost = {w.id: w.capacity for w in loaded.tenant.workstreams}

    # -- the loop ----------------------------------------------------------------------

    def at(self, when: float, action: Action) -> None:
        heapq.heappush(self._heap, (when, next(self._seq), action))

    async def run(self) -> Result:
        started = time.monotonic()
        next_report = started + PROGRESS_EVERY_S
        self._start_agents()
        for n, stream in enumerate(self._scenario.arrivals):
            self._next_arrival(n, stream, 0.0)
        self.at(0.0, self._tick)
        while self._heap and self._heap[0][0] <= self._end:
            when, _, action = heapq.heappop(self._heap)
            self.now = when
            await action()
            if self._progress is not None and time.monotonic() >= next_report:
                self._progress(self.now, self.tally)
                next_report = time.monotonic() + PROGRESS_EVERY_S
        self.now = self._end
        self.tally.finish(self._end)
        if self._progress is not None:
            self._progress(self._end, self.tally)
        return Result(loaded=self._loaded, tally=self.tally,
                      config_version=self._config_version,
                      wall_s=time.monotonic() - started)

    async def _feed(self, event: Event[Any]) -> None:
        """One input event through the router, then the world's reaction to its outputs."""
        self.tally.inputs_handled += 1
        outputs = await self.service.handle(event)
        self._store.drain_outbox()  # what the relay would publish; `outputs` are the same
        for out in outputs:
            self._react(out)

    def _event(self, cls: type[Event[Any]], subject: str, data: Any) -> Event[Any]:
        return cls(id=f"sim-{next(self._ids)}", tenant=self._tenant,
                   time=utc(self._epoch + self.now), source="simulator", subject=subject,
                   schema_version=SCHEMA_VERSION, data=data)

    # -- timers: the worker's sweeper, on the virtual clock ------------------------------

    async def _send_timer(self, event: Event[Any]) -> None:
        self._timers.append(event)

    async def _tick(self) -> None:
        await self._sweeper.tick(self._epoch + self.now)
        timers, self._timers = self._timers, []
        for event in timers:
            await self._feed(event)
        self.at(self.now + float(self._scenario.timers.sweep_interval), self._tick)

    # -- connectors: arrivals and abandonment ------------------------------------------

    def _next_arrival(self, n: int, stream: Arrivals, after: float) -> None:
        """Piecewise-constant Poisson rate: an exponential gap at the current step's
        rate; a gap crossing into the next step restarts there (memorylessness)."""
        rng = self._arrival_rngs[n]
        steps = stream.rate_steps()
        t = after
        while t <= self._end:
            index = max(k for k, step in enumerate(steps) if step.start <= t)
            rate = steps[index].per_hour / 3600.0
            until = steps[index + 1].start if index + 1 < len(steps) else float("inf")
            gap = rng.expovariate(rate) if rate > 0 else float("inf")
            if t + gap < until:
                when = t + gap
                self.at(when, partial(self._arrive, n, stream, when))
                return
            t = until

    async def _arrive(self, n: int, stream: Arrivals, when: float) -> None:
        self._next_arrival(n, stream, when)
        item_id = f"item-{next(self._ids)}"
        handle_s = stream.handle_time.sample(self._item_rng)
        patience = stream.patience.sample(self._item_rng) if stream.patience else None
        self._live[item_id] = _Live(stream=stream, handle_s=handle_s, patience_s=patience)
        self.tally.items[item_id] = ItemTrack(
            arrived=self.now, stream=n, counted=self.now >= self.tally.window[0],
            handle=handle_s)
        if patience is not None:
            self.at(self.now + patience, lambda: self._abandon(item_id))
        await self._feed(self._event(i.WorkItemCreated, item_id, i.WorkItemCreatedData(
            workstream=stream.workstream, channel=stream.channel,
            attributes=dict(stream.attributes), priority=stream.priority)))

    async def _abandon(self, item_id: str) -> None:
        track = self.tally.items[item_id]
        if track.assigned is not None or track.unclassified:
            return
        track.abandoned = self.now
        self._live.pop(item_id, None)
        await self._feed(self._event(i.WorkItemCancelled, item_id,
                                     i.WorkItemCancelledData(reason="abandoned")))

    # -- agents ------------------------------------------------------------------------

    def _start_agents(self) -> None:
        for group in self._scenario.agents:
            for k in range(group.count):
                agent_id = f"{group.name}-{k + 1:03d}"
                self._groups[agent_id] = group
                self.tally.agents[agent_id] = AgentTrack(id=agent_id, group=group.name)
                self.at(0.0, partial(self._register, agent_id, group))
                for step in group.schedule:
                    self.at(float(step.at), partial(self._presence, agent_id, step.presence))

    def _staffed(self, presence: str) -> bool:
        """Ready for work: away (lunch, breaks) and do-not-disturb are not staffed time."""
        return self._routing.policy.base_presence(presence) in STAFFED

    async def _register(self, agent_id: str, group: AgentGroup) -> None:
        self.tally.staffing(agent_id, self.now, self._staffed(group.presence))
        await self._feed(self._event(i.AgentRegistered, agent_id, i.AgentRegisteredData(
            capacity=i.Capacity(units=group.capacity.units,
                                profiles=dict(group.capacity.profiles)),
            skills=dict(group.skills), attributes=dict(group.attributes),
            queues=list(group.queues), presence=group.presence)))

    async def _presence(self, agent_id: str, presence: str) -> None:
        self.tally.staffing(agent_id, self.now, self._staffed(presence))
        await self._feed(self._event(i.AgentPresenceChanged, agent_id,
                                     i.AgentPresenceChangedData(presence=presence)))

    def _answer(self, item_id: str, offer_id: str, agent_id: str) -> None:
        group = self._groups.get(agent_id)
        if group is None:
            return
        rng = self._agent_rngs[group.name]
        think = group.think_time.sample(rng)
        accept = rng.random() < group.accept_probability

        async def answer() -> None:
            if accept:
                await self._feed(self._event(
                    i.AgentOfferAccepted, item_id,
                    i.OfferAcceptedData(offer_id=offer_id, agent_id=agent_id)))
            else:
                await self._feed(self._event(
                    i.AgentOfferDeclined, item_id,
                    i.OfferDeclinedData(offer_id=offer_id, agent_id=agent_id,
                                        reason="simulated")))

        self.at(self.now + think, answer)

    def _start_handling(self, item_id: str, agent_id: str) -> None:
        live = self._live.get(item_id)
        if live is None:
            return
        live.agent = agent_id
        live.share = self._share(live.stream.workstream, agent_id)
        self.tally.occupy(agent_id, self.now, live.share)
        self.at(self.now + live.handle_s, lambda: self._complete(item_id))

    def _share(self, workstream: str, agent_id: str) -> float:
        """The part of the agent's capacity one item of the workstream takes."""
        group = self._groups.get(agent_id)
        cost = self._cost.get(workstream)
        if group is None or cost is None:
            return 1.0
        shares = []
        if group.capacity.units > 0 and cost.units > 0:
            shares.append(cost.units / group.capacity.units)
        limits = self._routing.policy.profile_defaults
        for profile in cost.profiles:
            limit = group.capacity.profiles.get(profile, limits.get(profile, 1))
            shares.append(1.0 / max(limit, 1))
        return min(max(shares, default=1.0), 1.0)

    async def _complete(self, item_id: str) -> None:
        live = self._live.pop(item_id)
        agent_id = live.agent or ""
        await self._feed(self._event(i.WorkItemCompleted, item_id, i.WorkItemCompletedData()))
        wrap_up = self._wrap_up[live.stream.workstream]
        if wrap_up.mode == "until_closed":
            group = self._groups.get(agent_id)
            rng = self._agent_rngs[group.name] if group else self._item_rng
            close_s = group.wrap_up.sample(rng) if group else 0.0
            self.at(self.now + close_s, lambda: self._close(item_id, agent_id, live.share))
        elif wrap_up.mode == "seconds" and wrap_up.seconds:
            self.at(self.now + wrap_up.seconds, lambda: self._released(agent_id, live.share))
        else:
            self.tally.occupy(agent_id, self.now, -live.share)

    async def _close(self, item_id: str, agent_id: str, share: float) -> None:
        self.tally.occupy(agent_id, self.now, -share)
        await self._feed(self._event(i.WorkItemClosed, item_id, i.WorkItemClosedData()))

    async def _released(self, agent_id: str, share: float) -> None:
        """Bookkeeping only: the store releases a timed wrap-up through the sweeper."""
        self.tally.occupy(agent_id, self.now, -share)

    # -- the router's outputs ----------------------------------------------------------

    def _react(self, out: Event[Any]) -> None:
        kind = out.type
        self.tally.outputs[kind] += 1
        track = self.tally.items.get(out.subject)
        measured = track is not None and track.counted  # like the waits: after warm-up
        if kind.startswith("offer.") and measured:
            self.tally.offers[kind.removeprefix("offer.")] += 1
        if isinstance(out, o.OfferIssued):
            if track is not None and track.offered is None:
                track.offered = self.now
            self._answer(out.subject, out.data.offer_id, out.data.agent_id)
        elif isinstance(out, o.AssignmentCreated):
            if measured:
                self.tally.assignments[out.data.via] += 1
            if track is not None and track.assigned is None:
                if track.offered is None:
                    track.offered = self.now
                track.assigned = self.now
                track.agent = out.data.agent_id
                track.queue = out.data.queue
            self._start_handling(out.subject, out.data.agent_id)
        elif isinstance(out, o.WorkItemQueued):
            if track is not None:
                track.queue = out.data.queue
        elif isinstance(out, o.WorkItemClassificationFailed):
            if track is not None:
                track.unclassified = True
            self._live.pop(out.subject, None)


async def simulate(loaded: Loaded, progress: Progress | None = None) -> Result:
    return await Simulation(loaded, progress).run()
