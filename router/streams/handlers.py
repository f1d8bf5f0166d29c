"""What each input event does to the router's state.

For now the effect is the intake record of a work item (which event last touched it and
where it came from); the routing lifecycle (classification, queueing, offers) replaces
these handlers with calls into the core and the store (issue: stream processor).
Agent events and offer responses are decoded, validated and counted, with no state
effect yet.
"""

from __future__ import annotations

from typing import Any

from router.contract.envelope import Event
from router.contract.topics import input_types
from router.state import keys
from router.streams.ingest import Handler, InboundMessage
from router.streams.redis_client import RedisHandle


def intake_handlers(redis: RedisHandle) -> dict[str, Handler]:
    async def record_work_item(event: Event[Any], message: InboundMessage) -> None:
        await redis.client.hset(
            keys.work_item(event.tenant, event.subject),
            mapping={
                "last_event_id": event.id,
                "last_event_type": event.type,
                "source_offset": f"{message.topic}/{message.partition}/{message.offset}",
            },
        )

    async def counted_only(_event: Event[Any], _message: InboundMessage) -> None:
        return None

    handlers: dict[str, Handler] = {t: record_work_item for t in input_types("work-items")}
    for suffix in ("agents", "offer-responses"):
        handlers.update({t: counted_only for t in input_types(suffix)})
    return handlers
