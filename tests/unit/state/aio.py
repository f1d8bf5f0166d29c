"""Runs ``async def`` tests on one event loop per session (no pytest-asyncio here).

Why one loop: a redis.asyncio client belongs to the loop it was first used on, and the
store fixtures are shared across a session. Conftests call ``run_async_test`` from their
``pytest_pyfunc_call`` hook.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Coroutine
from typing import Any, TypeVar

import pytest

T = TypeVar("T")
_runner: asyncio.Runner | None = None


def run(coro: Coroutine[Any, Any, T]) -> T:
    global _runner
    if _runner is None:
        _runner = asyncio.Runner()
    return _runner.run(coro)


def run_async_test(item: pytest.Function) -> bool | None:
    if not inspect.iscoroutinefunction(item.obj):
        return None
    names = item._fixtureinfo.argnames
    run(item.obj(**{name: item.funcargs[name] for name in names}))
    return True
