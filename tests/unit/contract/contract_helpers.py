"""Helpers shared by the contract tests (a plain module: no conftest name clashes)."""

from __future__ import annotations

from typing import Any

import msgspec

from router.contract.examples import EXAMPLES


def example_builtins(event_type: str) -> dict[str, Any]:
    """A fresh, mutable JSON-ready copy of the example of `event_type`."""
    value = msgspec.to_builtins(EXAMPLES[event_type])
    assert isinstance(value, dict)
    return value


def dumps(value: Any) -> bytes:
    return msgspec.json.encode(value)
