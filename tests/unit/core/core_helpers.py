"""Small builders for core tests (plain data, no fixtures magic)."""

from __future__ import annotations

from typing import Any

import msgspec

from router.config.model import Queue, Workstream
from router.core.types import AgentState, WorkItem

MIN = 60.0
NOW = 1_700_000_000.0


def queue(method: str = "highest_capacity", qid: str = "q", **kw: Any) -> Queue:
    data: dict[str, Any] = {"id": qid, "assignment": {"method": method}}
    if "rules" in kw:
        data["assignment"]["rules"] = kw.pop("rules")
    if "best_worker" in kw:
        data["assignment"]["best_worker"] = kw.pop("best_worker")
    data.update(kw)
    return msgspec.convert(data, Queue)


def workstream(**kw: Any) -> Workstream:
    data: dict[str, Any] = {"id": "ws", "channel": "messaging", "capacity": {"units": 1}}
    data.update(kw)
    return msgspec.convert(data, Workstream)


def agent(aid: str, **kw: Any) -> AgentState:
    data: dict[str, Any] = {
        "id": aid,
        "presence": "available",
        "total_units": 10,
        "used_units": 0,
        "queues": ("q",),
    }
    data.update(kw)
    return AgentState(**data)


def item(iid: str = "i1", **kw: Any) -> WorkItem:
    data: dict[str, Any] = {"id": iid, "workstream": "ws", "created_at": NOW - 10}
    data.update(kw)
    return WorkItem(**data)
