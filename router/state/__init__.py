"""Router state: key names, Lua scripts and the store (Redis and in-memory)."""

from router.state.memory_store import MemoryBackend, MemoryStore
from router.state.model import (
    DueOffer,
    ItemRecord,
    OfferCommit,
    OfferRecord,
    Outcome,
    QueuedItem,
    StoreConfig,
)
from router.state.redis_store import RedisBackend, RedisStore
from router.state.store import Store

__all__ = [
    "DueOffer",
    "ItemRecord",
    "MemoryBackend",
    "MemoryStore",
    "OfferCommit",
    "OfferRecord",
    "Outcome",
    "QueuedItem",
    "RedisBackend",
    "RedisStore",
    "Store",
    "StoreConfig",
]
