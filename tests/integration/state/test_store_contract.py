"""The store contract on in-memory, standalone Redis and a three-master Redis Cluster."""

from tests.unit.state.contract import *  # noqa: F403
