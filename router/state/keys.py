"""Every Redis key the router uses, and nothing else names one.

Each key starts with the tenant in braces, a Redis Cluster hash tag, so that all of a
tenant's keys share one slot and a Lua script may touch any of them on standalone Redis
and on Redis Cluster alike (invariant 5, docs/design.md).

Layout (``P`` = ``router:{tenant}:``; the Lua scripts build the dynamic ones from ``P``
with the same suffixes, see ``router/state/lua/_lib.lua``):

====================================  ======  =========================================
key                                   type    content
====================================  ======  =========================================
``P item:<item>``                     hash    snapshot ``snap`` (msgpack WorkItem), state
                                              ``st``, version ``v``, queue ``q``, bucket
                                              member ``m``, offer ``o``, agent ``a``, held
                                              capacity ``h``/``u``/``pf``
``P declines:<item>``                 hash    agent -> declines of this item (O2)
``P agent:<agent>``                   hash    snapshot ``snap`` (msgpack AgentState) plus
                                              the fields Lua checks: base presence ``bp``,
                                              indexed ``ix``, units ``tu``/``uu``, queues
                                              ``qs``, profiles ``pls``, ``pl:<p>`` limits,
                                              ``pu:<p>`` used, ``la:<queue>`` last
                                              assignment, ``rel`` last capacity release,
                                              ``cv`` change number (any field changed)
``P agentoffers:<agent>``             zset    pending offer ids (score 0)
``P agents:cv``                       string  last agent change number (``cv`` source)
``P agents:cvs``                      hash    agent -> its ``cv`` (what read_agents.lua
                                              compares)
``P agents``                          set     ids of every agent registered
``P agents:listed``                   string  '1' once ``agents`` holds the agents
                                              registered before it existed
``P queue:<queue>:items``             zset    queued items, score 0, member = priority
                                              encoding + ``.`` + item id (lexicographic)
``P queue:<queue>:manual``            zset    items out of auto-assignment (O2), same
                                              members
``P queue:<queue>:ready``             zset    agents of the queue that could take work,
                                              score = free units
``P queue:<queue>:offered``           hash    item -> its pending offers made in the
                                              queue (an item leaves with its last one)
``P offer:<offer>``                   hash    item, agent, queue, cost, deadline, state
                                              (expires once finished, as a closed item)
``P offers:due``                      zset    pending offer ids by deadline
``P wrapup:due``                      zset    completed items by capacity release time
``P seen``                            zset    processed input event ids by event time
``P results``                         hash    event id -> outcome recorded the first time
``P outbox:seq``                      string  last outbox slot reserved by a commit
``P outbox:slots``                    hash    slot -> JSON array of encoded output events
                                              ('' while reserved, until filled)
``P outbox:cursor``                   string  last slot the relay published
``P outbox:skipped``                  set     slots the relay stopped waiting for
``P outbox:late``                     list    payloads filled after their slot was skipped
``P outbox:lease``                    string  id of the worker whose relay publishes
``P outbox:wake``                     channel a commit that finds the outbox published,
                                              and every fill, publish to it
====================================  ======  =========================================
"""

from __future__ import annotations

ROOT = "router"


def tenant_tag(tenant: str) -> str:
    if not tenant or "{" in tenant or "}" in tenant:
        raise ValueError(f"tenant {tenant!r}: must be non-empty and contain no braces")
    return f"{{{tenant}}}"


def prefix(tenant: str) -> str:
    """``router:{tenant}:``, the start of every key of the tenant (passed to Lua)."""
    return f"{ROOT}:{tenant_tag(tenant)}:"


def work_item(tenant: str, item_id: str) -> str:
    return f"{prefix(tenant)}item:{item_id}"


def item_declines(tenant: str, item_id: str) -> str:
    return f"{prefix(tenant)}declines:{item_id}"


def agent(tenant: str, agent_id: str) -> str:
    return f"{prefix(tenant)}agent:{agent_id}"


def agents_cv(tenant: str) -> str:
    return f"{prefix(tenant)}agents:cv"


def agents_cvs(tenant: str) -> str:
    return f"{prefix(tenant)}agents:cvs"


def agents(tenant: str) -> str:
    """So statistics read the agents without a SCAN of the whole keyspace."""
    return f"{prefix(tenant)}agents"


def agents_listed(tenant: str) -> str:
    return f"{prefix(tenant)}agents:listed"


def agent_offers(tenant: str, agent_id: str) -> str:
    return f"{prefix(tenant)}agentoffers:{agent_id}"


def queue_items(tenant: str, queue: str) -> str:
    return f"{prefix(tenant)}queue:{queue}:items"


def queue_manual(tenant: str, queue: str) -> str:
    return f"{prefix(tenant)}queue:{queue}:manual"


def queue_ready(tenant: str, queue: str) -> str:
    return f"{prefix(tenant)}queue:{queue}:ready"


def queue_offered(tenant: str, queue: str) -> str:
    return f"{prefix(tenant)}queue:{queue}:offered"


def offer(tenant: str, offer_id: str) -> str:
    return f"{prefix(tenant)}offer:{offer_id}"


def offers_due(tenant: str) -> str:
    return f"{prefix(tenant)}offers:due"


def wrapup_due(tenant: str) -> str:
    return f"{prefix(tenant)}wrapup:due"


def item_expiries(tenant: str) -> str:
    """Z item -> when it outlives its ttl_seconds (X3); an item leaves it when finished."""
    return f"{prefix(tenant)}items:expiry"


def seen_events(tenant: str) -> str:
    return f"{prefix(tenant)}seen"


def results(tenant: str) -> str:
    return f"{prefix(tenant)}results"


def outbox_seq(tenant: str) -> str:
    return f"{prefix(tenant)}outbox:seq"


def outbox_slots(tenant: str) -> str:
    return f"{prefix(tenant)}outbox:slots"


def outbox_cursor(tenant: str) -> str:
    return f"{prefix(tenant)}outbox:cursor"


def outbox_skipped(tenant: str) -> str:
    return f"{prefix(tenant)}outbox:skipped"


def outbox_late(tenant: str) -> str:
    return f"{prefix(tenant)}outbox:late"


def outbox_lease(tenant: str) -> str:
    return f"{prefix(tenant)}outbox:lease"


def outbox_wake(tenant: str) -> str:
    """A pub/sub channel, not a key: what the relay waits on between rounds."""
    return f"{prefix(tenant)}outbox:wake"
