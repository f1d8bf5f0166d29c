"""The worker's Kafka consumer lets the broker hold an empty fetch for 100 ms, not
Faust's 1.5 s (router/streams/fetch_wait.py): otherwise a quiet partition's long fetch
holds back a busy partition's next records for up to 1.5 s."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid

from router.settings import Settings
from router.streams.app import build_app
from router.streams.fetch_wait import FETCH_MAX_WAIT_MS


def test_the_worker_consumer_built_by_the_app_waits_at_most_100_ms_for_a_fetch() -> None:
    async def built() -> int:
        settings = dataclasses.replace(Settings(), app_id=f"fetch-{uuid.uuid4().hex[:8]}")
        app = build_app(settings)
        thread = app.consumer._new_consumer_thread()
        consumer = thread._create_worker_consumer(app.transport)
        try:
            return int(consumer._fetch_max_wait_ms)
        finally:
            await consumer.stop()  # never started: nothing to close but the object

    assert FETCH_MAX_WAIT_MS == 100
    assert asyncio.run(built()) == 100
