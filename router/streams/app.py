"""Builds the Faust application: topics, agents, the sweeper and their lifecycle.

The application is built by a function rather than at import time so that the CLI, the
tests and the demo can each give it their own settings (topic prefix, broker, Redis).
Agents stay thin: they turn a Kafka record into an `InboundMessage` and hand it to the
topic's `Ingest`, whose handler calls the routing service. The service's commits put the
outputs in the tenant's outbox in Redis; the `OutboxRelay`, in a process the worker starts
(`RelayProcess`), publishes them in commit order.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import faust
from mode import Service

from router.config.load import load_config
from router.contract.codec import encode
from router.contract.envelope import Event
from router.contract.topics import input_types
from router.observability import metrics
from router.observability.collector import StateCollector, tenants_by_id
from router.observability.http import HttpEndpoints
from router.observability.lag import LagReporter
from router.observability.relay_metrics import worker_registry
from router.service.handlers import RoutingService
from router.service.tenancy import tenants_of
from router.settings import Settings
from router.state.redis_store import RedisBackend
from router.streams import delivery, fetch_wait
from router.streams.batching import take_ready
from router.streams.ingest import InboundMessage, Ingest
from router.streams.relay_process import RelayProcess
from router.streams.sweeper import Sweeper
from router.streams.window import BatchWindow
from router.topics import (
    AGENTS,
    DEAD_LETTER,
    DEAD_LETTER_MAX_MESSAGE_BYTES,
    OFFER_RESPONSES,
    TIMERS,
    WORK_ITEMS,
    topic_name,
)

log = logging.getLogger(__name__)

INPUT_TOPICS = (WORK_ITEMS, AGENTS, OFFER_RESPONSES, TIMERS)


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


def _config_version(settings: Settings, version: int) -> str:
    """The configured version plus a digest of the file, so two edits that forget to
    bump `version` still record different versions on their decisions (B4)."""
    path = settings.config_path
    text = path.read_bytes() if path is not None else b"bundled sample"
    return f"{version}-{hashlib.sha256(text).hexdigest()[:12]}"


def build_app(settings: Settings) -> faust.App:
    config = load_config(settings.config_path)
    delivery.install()  # records reach the streams inline (see delivery.py)
    fetch_wait.install()  # a quiet partition does not stall a busy one (fetch_wait.py)
    known_tenants = frozenset(tenant.id for tenant in config.tenants)
    # Faust makes a table directory even for memory tables; by default that is
    # "<app id>-data" in the working directory, one per test or bench run.
    datadir = Path(tempfile.gettempdir()) / "router-faust" / settings.app_id
    datadir.parent.mkdir(parents=True, exist_ok=True)
    app = faust.App(
        settings.app_id,
        broker=f"kafka://{settings.kafka_bootstrap}",
        store="memory://",
        # Metrics and health get their own small HTTP server; Faust's web UI stays off so
        # several workers can share a host without port clashes.
        web_enabled=False,
        datadir=datadir,
        topic_disable_leader=True,
        topic_partitions=settings.topic_partitions,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        # Faust's producer sends only timers and dead letters (outputs go through the
        # OutputProducer); 2 ms lets a sweep's timers share a produce request.
        producer_linger=0.002,
        producer_max_request_size=DEAD_LETTER_MAX_MESSAGE_BYTES,
        # A killed worker's partitions move after 10 s instead of Faust's default 60 s.
        broker_session_timeout=10.0,
        broker_heartbeat_interval=2.0,
    )
    backend = RedisBackend.from_url(settings.redis_url)
    service = RoutingService(tenants_of(
        config, {t: backend.tenant(t) for t in known_tenants},
        _config_version(settings, config.version),
    ))
    dead_letter = _raw_topic(app, topic_name(settings, DEAD_LETTER))
    timers = _raw_topic(app, topic_name(settings, TIMERS))

    # Outputs go out from the relay's own process (relay_child.py), through librdkafka;
    # timers and dead letters through Faust's own producer.
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    relay = RelayProcess(settings, owner)
    # State gauges come from the worker that publishes the tenant's outputs: one per tenant.
    state_stats = StateCollector(backend, tenants_by_id(service.tenants.values()),
                                 is_reporter=lambda tenant: tenant in relay.holding)
    lag_stats = LagReporter(lambda: app.consumer)

    async def route(event: Event[Any], _message: InboundMessage) -> None:
        # Handled once its outputs are in the outbox: the relay publishes them (woken by
        # the commit itself, relay_child.py).
        await service.handle(event)

    metrics.init_input_series(INPUT_TOPICS)
    for suffix in INPUT_TOPICS:
        ingest = Ingest(
            suffix=suffix,
            event_types=input_types(suffix),
            handler=route,
            dead_letter=dead_letter,
            known_tenants=known_tenants,
            max_bytes=settings.max_event_bytes,
        )
        _add_agent(app, _raw_topic(app, topic_name(settings, suffix)), ingest, suffix,
                   settings)

    async def send_timer(event: Event[Any]) -> None:
        await timers.send(key=event.key, value=encode(event))

    sweeper = Sweeper(service.tenants, send_timer, queue_sweep_s=settings.queue_sweep_ms / 1000)

    async def sweep() -> None:
        if app.rebalancing_count == 0:
            return  # not consuming yet; timers published now would wait anyway
        try:
            await sweeper.tick(time.time())
        except Exception:  # a sweep that fails is retried by the next one
            log.exception("sweep failed")

    app.timer(settings.sweep_interval_ms / 1000)(sweep)

    async def readiness() -> str | None:
        if app.rebalancing or app.rebalancing_count == 0:
            return "waiting for a partition assignment"
        if not relay.running:
            return "the outbox relay process is not running (restarting)"
        try:
            await backend.client.ping()
        except Exception as exc:  # any failure to answer means not ready
            return f"Redis does not answer: {exc}"
        return None

    @app.service
    class RedisLifecycle(Service):
        async def on_stop(self) -> None:
            await backend.aclose()

    @app.service
    class Statistics(Service):
        """State gauges and consumer lag, refreshed every few seconds."""

        async def on_started(self) -> None:
            state_stats.start()
            lag_stats.start()

        async def on_stop(self) -> None:
            await state_stats.stop()
            await lag_stats.stop()

    @app.service
    class Relay(Service):
        """Publishes the outboxes until the worker stops, then hands the leases over."""

        async def on_start(self) -> None:
            await relay.start()

        async def on_stop(self) -> None:
            await relay.stop()

    @app.service
    class Endpoints(HttpEndpoints):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(settings.http_address, readiness, registry=worker_registry(),
                             appended=relay.metrics_text, **kwargs)

    return app


def _add_agent(app: faust.App, topic: Any, ingest: Ingest, suffix: str,
               settings: Settings) -> None:
    # Concurrency 1: with more, Faust can commit offsets past unfinished messages. Within
    # the one actor, up to `batches_in_flight` batches are handled at once, each
    # concurrently across keys, and acknowledged in order once handled (window.py).
    async def consume(stream: Any) -> AsyncIterator[None]:
        async def acknowledge(events: Sequence[Any]) -> None:
            for event in events:
                await stream.ack(event)

        window = BatchWindow(settings.batches_in_flight, acknowledge, suffix)
        batch_records = metrics.series(metrics.INPUT_BATCH_RECORDS, suffix)
        try:
            async for events in take_ready(stream, settings.batch_max,
                                           settings.batch_wait_ms / 1000):
                batch_records.observe(len(events))
                messages = [_inbound(event) for event in events]
                await window.start(partial(ingest.handle_batch, messages), events)
                yield None
        finally:
            await window.close()

    consume.__name__ = f"consume_{suffix.replace('-', '_')}"
    app.agent(topic, name=f"router.{suffix}", concurrency=1)(consume)
