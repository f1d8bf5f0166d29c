"""Builds the Faust application: topics, agents and their lifecycle.

The application is built by a function rather than at import time so that the CLI, the
tests and the demo can each give it their own settings (topic prefix, broker, Redis).
Agents stay thin: they turn a Kafka record into an `InboundMessage` and hand it to the
topic's `Ingest`; everything else happens below them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import faust
from mode import Service

from router.config.load import load_config
from router.contract.topics import input_types
from router.observability.http import HttpEndpoints
from router.settings import Settings
from router.streams.handlers import intake_handlers
from router.streams.ingest import InboundMessage, Ingest
from router.streams.redis_client import RedisHandle
from router.topics import (
    AGENTS,
    DEAD_LETTER,
    DEAD_LETTER_MAX_MESSAGE_BYTES,
    OFFER_RESPONSES,
    WORK_ITEMS,
    topic_name,
)

INPUT_TOPICS = (WORK_ITEMS, AGENTS, OFFER_RESPONSES)


def _raw_topic(app: faust.App, name: str) -> Any:
    return app.topic(name, key_type=bytes, value_type=bytes,
                     key_serializer="raw", value_serializer="raw")


def _inbound(event: Any) -> InboundMessage:
    message = event.message
    return InboundMessage(
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        key=message.key,
        value=message.value,
        headers=[(k, v) for k, v in (message.headers or [])],
        timestamp_ms=int(message.timestamp * 1000) if message.timestamp else None,
    )


def build_app(settings: Settings) -> faust.App:
    config = load_config(settings.config_path)
    known_tenants = frozenset(tenant.id for tenant in config.tenants)
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
        producer_max_request_size=DEAD_LETTER_MAX_MESSAGE_BYTES,
    )
    redis = RedisHandle(settings.redis_url)
    dead_letter = _raw_topic(app, topic_name(settings, DEAD_LETTER))
    handlers = intake_handlers(redis)

    for suffix in INPUT_TOPICS:
        ingest = Ingest(
            suffix=suffix,
            event_types=input_types(suffix),
            handlers=handlers,
            dead_letter=dead_letter,
            known_tenants=known_tenants,
            max_bytes=settings.max_event_bytes,
        )
        _add_agent(app, _raw_topic(app, topic_name(settings, suffix)), ingest, suffix)

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


def _add_agent(app: faust.App, topic: Any, ingest: Ingest, suffix: str) -> None:
    # Concurrency 1: with more, Faust can commit offsets past unfinished messages.
    async def consume(stream: Any) -> AsyncIterator[None]:
        async for event in stream.events():
            await ingest.handle(_inbound(event))
            yield None

    consume.__name__ = f"consume_{suffix.replace('-', '_')}"
    app.agent(topic, name=f"router.{suffix}", concurrency=1)(consume)
