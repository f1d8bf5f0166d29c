"""Builds the Faust application: topics, agents and their lifecycle.

The application is built by a function rather than at import time so that the CLI, the
tests and the demo can each give it their own settings (topic prefix, broker, Redis).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import faust
from mode import Service

from router.observability.http import HttpEndpoints
from router.settings import Settings
from router.streams.ingest import InboundMessage, WorkItemIngest
from router.streams.redis_client import RedisHandle
from router.topics import DEAD_LETTER, WORK_ITEMS, topic_name


def _raw_topic(app: faust.App, name: str) -> Any:
    return app.topic(name, key_type=bytes, value_type=bytes,
                     key_serializer="raw", value_serializer="raw")


def build_app(settings: Settings) -> faust.App:
    app = faust.App(
        settings.app_id,
        broker=f"kafka://{settings.kafka_bootstrap}",
        store="memory://",
        # Metrics and health get their own small HTTP server; Faust's web UI stays off so
        # several workers can share a host without port clashes.
        web_enabled=False,
        topic_disable_leader=True,
        topic_partitions=settings.topic_partitions,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
    )
    redis = RedisHandle(settings.redis_url)
    work_items = _raw_topic(app, topic_name(settings, WORK_ITEMS))
    dead_letter = _raw_topic(app, topic_name(settings, DEAD_LETTER))
    ingest = WorkItemIngest(redis, dead_letter)

    @app.agent(work_items, concurrency=1)
    async def work_item_events(stream: Any) -> AsyncIterator[None]:
        async for event in stream.events():
            message = event.message
            await ingest.handle(
                InboundMessage(
                    topic=message.topic,
                    partition=message.partition,
                    offset=message.offset,
                    key=message.key,
                    value=message.value,
                    headers=list(message.headers or []),
                )
            )
            yield None

    async def readiness() -> str | None:
        if app.rebalancing or app.rebalancing_count == 0:
            return "waiting for a partition assignment"
        try:
            await redis.client.ping()
        except Exception as exc:  # any failure to answer means not ready
            return f"Redis does not answer: {exc}"
        return None

    @app.service
    class RedisLifecycle(Service):
        async def on_stop(self) -> None:
            await redis.close()

    @app.service
    class Endpoints(HttpEndpoints):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(settings.http_address, readiness, **kwargs)

    return app
