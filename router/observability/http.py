"""The worker's HTTP endpoints: `/metrics`, `/livez` and `/readyz`.

Liveness says the event loop answers; readiness says the worker can do its job: it holds
a partition assignment (not mid-rebalance) and Redis answers. Orchestrators restart on
the first and route traffic (and tests wait) on the second.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from mode import Service
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

log = logging.getLogger(__name__)

ReadinessCheck = Callable[[], Awaitable[str | None]]
"""Returns None when ready, or the reason it is not."""
MoreMetrics = Callable[[], Awaitable[bytes]]
"""Exposition text of families another process keeps (the outbox relay's), appended."""


def parse_address(address: str) -> tuple[str, int]:
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ValueError(f"ROUTER_HTTP_ADDRESS={address!r}: expected host:port")
    return host, int(port)


def build_web_app(ready: ReadinessCheck, registry: CollectorRegistry = REGISTRY,
                  appended: MoreMetrics | None = None) -> web.Application:
    async def metrics(_request: web.Request) -> web.Response:
        body = generate_latest(registry)
        if appended is not None:
            body += await appended()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def livez(_request: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def readyz(_request: web.Request) -> web.Response:
        reason = await ready()
        if reason is None:
            return web.Response(text="ready\n")
        return web.Response(status=503, text=f"not ready: {reason}\n")

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/livez", livez)
    app.router.add_get("/readyz", readyz)
    return app


class HttpEndpoints(Service):
    """Runs the endpoints inside the worker's event loop, started and stopped with it."""

    def __init__(self, address: str, ready: ReadinessCheck, *,
                 registry: CollectorRegistry = REGISTRY, appended: MoreMetrics | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._host, self._port = parse_address(address)
        self._ready = ready
        self._registry = registry
        self._appended = appended
        self._runner: web.AppRunner | None = None

    async def on_start(self) -> None:
        self._runner = web.AppRunner(build_web_app(self._ready, self._registry, self._appended),
                                     access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        log.info("metrics and health on http://%s:%s (/metrics /livez /readyz)",
                 self._host, self._port)

    async def on_stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
