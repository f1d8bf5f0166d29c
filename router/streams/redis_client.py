"""One Redis connection pool per worker, opened inside the worker's event loop."""

from __future__ import annotations

import redis.asyncio as aioredis


class RedisHandle:
    """Creates the client lazily: a pool made before Faust starts its loop would be bound
    to the wrong loop."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._client: aioredis.Redis | None = None

    @property
    def client(self) -> aioredis.Redis:
        if self._client is None:
            self._client = aioredis.Redis.from_url(self._url)
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
