"""Work-item intake: decode, record, or dead-letter with the reason.

This is the first path through the stack (broker -> Faust agent -> Redis); routing
decisions are layered on top of it by the core and the store.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from router.state import keys
from router.streams.redis_client import RedisHandle

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InboundMessage:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]


class Sink(Protocol):
    async def send(self, *, key: bytes | None, value: bytes,
                   headers: list[tuple[str, bytes]] | None) -> Any: ...


class BadEvent(ValueError):
    pass


def _decode(raw: bytes | None) -> dict[str, Any]:
    if raw is None:
        raise BadEvent("value: empty message")
    try:
        event = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadEvent(f"value: not JSON ({exc})") from None
    if not isinstance(event, dict):
        raise BadEvent("value: not a JSON object")
    for name in ("id", "type", "tenant", "subject"):
        if not isinstance(event.get(name), str) or not event[name]:
            raise BadEvent(f"{name}: missing or not a non-empty string")
    return event


class WorkItemIngest:
    def __init__(self, redis: RedisHandle, dead_letter: Sink) -> None:
        self._redis = redis
        self._dead_letter = dead_letter

    async def handle(self, message: InboundMessage) -> None:
        try:
            event = _decode(message.value)
        except BadEvent as exc:
            await self._reject(message, str(exc))
            return
        item_key = keys.work_item(event["tenant"], event["subject"])
        await self._redis.client.hset(
            item_key,
            mapping={
                "last_event_id": event["id"],
                "last_event_type": event["type"],
                "source_offset": f"{message.topic}/{message.partition}/{message.offset}",
            },
        )

    async def _reject(self, message: InboundMessage, reason: str) -> None:
        log.warning("dead-lettering %s/%s/%s: %s", message.topic, message.partition,
                    message.offset, reason)
        record = {
            "reason": reason,
            "source": {"topic": message.topic, "partition": message.partition,
                       "offset": message.offset},
            "key_b64": base64.b64encode(message.key).decode() if message.key else None,
            "value_b64": base64.b64encode(message.value).decode() if message.value else None,
            "headers": [[k, base64.b64encode(v).decode()] for k, v in message.headers],
        }
        await self._dead_letter.send(key=message.key, value=orjson.dumps(record),
                                     headers=message.headers)
