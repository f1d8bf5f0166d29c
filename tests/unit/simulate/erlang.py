"""The textbook case shared by the Erlang C tests: one FIFO queue, direct assignment,
identical agents of capacity 1, no wrap-up, Poisson arrivals, exponential handle times."""

from __future__ import annotations

import math

import msgspec

from router.config.model import RoutingConfig
from router.simulate.scenario import Loaded, parse_scenario, resolve

MEAN_HANDLE_S = 60.0

CONFIG = {
    "version": 1,
    "tenants": [{
        "id": "erlang",
        "workstreams": [{
            "id": "calls", "channel": "voice", "allowed_presences": ["available"],
            "capacity": {"units": 1}, "offer_mode": "direct", "wrap_up": {"mode": "none"},
            "fallback_queue": "fifo",
        }],
        "queues": [{"id": "fifo", "assignment": {"method": "longest_idle"}}],
    }],
}


def erlang_c(agents: int, offered_erlangs: float) -> float:
    """Probability that an arrival waits in M/M/c (Erlang C)."""
    a, c = offered_erlangs, agents
    below = sum(a**k / math.factorial(k) for k in range(c))
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (below + top)


def mean_wait(agents: int, offered_erlangs: float, mean_handle_s: float) -> float:
    """Mean wait in queue of M/M/c: C(c, a) / (c*mu - lambda)."""
    rate = 1.0 / mean_handle_s
    return erlang_c(agents, offered_erlangs) / (agents * rate - offered_erlangs * rate)


def textbook(agents: int, utilisation: float, arrivals: int, warm_up_arrivals: int,
             seed: int) -> Loaded:
    """The scenario: arrival rate set for the utilisation, run long enough for about
    `arrivals` measured arrivals after `warm_up_arrivals` unmeasured ones."""
    per_s = utilisation * agents / MEAN_HANDLE_S
    scenario = parse_scenario({
        "name": f"M/M/{agents} at {utilisation}",
        "duration": (warm_up_arrivals + arrivals) / per_s,
        "warm_up": warm_up_arrivals / per_s,
        "seed": seed,
        # Nothing is timed in this config (direct assignment, no wrap-up): the sweeper
        # has nothing to find, so it runs rarely to keep the test fast.
        "timers": {"sweep_interval": "10m", "queue_sweep": 0},
        "arrivals": [{"workstream": "calls", "per_hour": per_s * 3600,
                      "handle_time": {"distribution": "exponential", "mean": MEAN_HANDLE_S}}],
        "agents": [{"name": "agent", "count": agents, "queues": ["fifo"],
                    "capacity": {"units": 1}}],
    })
    return resolve(scenario, None, config=msgspec.convert(CONFIG, RoutingConfig))
