"""Every Redis key the router uses, and nothing else names one.

Each key starts with the tenant in braces, a Redis Cluster hash tag, so that all of a
tenant's keys share one slot and a Lua script may touch any of them on standalone Redis
and on Redis Cluster alike (DESIGN invariant 5).
"""

from __future__ import annotations

ROOT = "router"


def tenant_tag(tenant: str) -> str:
    if not tenant or "{" in tenant or "}" in tenant:
        raise ValueError(f"tenant {tenant!r}: must be non-empty and contain no braces")
    return f"{{{tenant}}}"


def work_item(tenant: str, item_id: str) -> str:
    return f"{ROOT}:{tenant_tag(tenant)}:item:{item_id}"


def seen_events(tenant: str) -> str:
    return f"{ROOT}:{tenant_tag(tenant)}:seen"
