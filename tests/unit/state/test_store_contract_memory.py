"""The store contract on the in-memory store (Redis ones: tests/integration/state)."""

from tests.unit.state.contract import *  # noqa: F403
