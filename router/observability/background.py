"""One background asyncio task that can be started once and stopped (cancelled) cleanly.

The observers run inside the worker's event loop beside Faust but are not Faust or mode
services, so the tests can drive them on their own.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from typing import Any


class Background:
    def __init__(self, name: str) -> None:
        self._name = name
        self._task: asyncio.Task[None] | None = None

    def start(self, run: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Starts `run()` unless already running."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(run(), name=self._name)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
