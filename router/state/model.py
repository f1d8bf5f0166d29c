"""What the store takes and returns (plain msgspec values, no I/O).

Why an ``Outcome`` record for every mutation: it is what the store records under the
input event id. A redelivered event gets the very same ``Outcome`` back (with
``duplicate=True``), so the caller builds the very same output events from it, ids
included (invariant 4, docs/design.md). Outcomes hold only strings, integers and booleans, so the
Redis (Lua / cjson) and in-memory stores produce identical values.
"""

from __future__ import annotations

from typing import Literal

from msgspec import Struct

from router.core.types import AgentState, WorkItem

#: Item states kept in the item record.
ItemState = Literal[
    "queued", "unqueued", "manual", "offered", "assigned", "completed", "closed", "cancelled"
]
TERMINAL_STATES = ("closed", "cancelled")
BASE_PRESENCES = ("available", "busy", "busy_dnd", "away", "offline")


class StoreConfig(Struct, frozen=True, kw_only=True):
    """Store settings (per deployment).

    ``seen_retention_seconds`` / ``seen_max``: how long and how many processed event
    ids (and their outcomes) are kept per tenant; a redelivery older than that is applied
    again. Kafka redelivers within minutes (a rebalance), so the default day is generous.
    ``indexed_presences``: base presences that put an agent with room into its queues'
    ready indexes (the commit still checks the workstream's allowed presences).
    ``terminal_ttl_seconds``: how long a finished record stays (Redis): a closed or
    cancelled item's, and an offer's once it is no longer pending or held (see
    deploy/redis/README.md). The memory store keeps them.
    """

    seen_retention_seconds: float = 86_400.0
    seen_max: int = 1_000_000
    trim_batch: int = 64
    indexed_presences: tuple[str, ...] = ("available", "busy", "busy_dnd", "away")
    terminal_ttl_seconds: int = 86_400


DEFAULT_CONFIG = StoreConfig()


NOT_WAITING = "updated_not_waiting"
"""The code of an update to an item no queue holds (Outcome.not_waiting)."""


class Outcome(Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Result of one mutation. ``ok=False`` with ``code`` ``conflict:...`` means the
    decision's preconditions no longer hold: nothing changed, nothing was recorded,
    re-decide. Other ``ok=False`` codes (``unknown_offer``, ``offer_expired`` ...) are
    recorded like successes: the event was applied and had no effect."""

    ok: bool
    code: str
    event_id: str = ""
    item_id: str | None = None
    agent_id: str | None = None
    offer_id: str | None = None
    version: int | None = None
    units_used: int | None = None
    units_total: int | None = None
    profile_used: dict[str, int] = {}
    profile_limits: dict[str, int] = {}
    declines: int | None = None
    distinct_decliners: int | None = None
    agent_excluded: bool = False
    item_excluded: bool = False
    released: bool = False
    revoked: tuple[str, ...] = ()
    requeues: int | None = None
    outputs: tuple[str, ...] = ()
    seq: int | None = None
    """The outbox slot of this change's outputs (None: it has none). When the mutation was
    called with ``outputs=None`` the slot is reserved and the caller fills it
    (``Store.fill_outbox``) with the outputs it builds from this outcome."""
    duplicate: bool = False

    @property
    def conflict(self) -> bool:
        return self.code.startswith("conflict")

    @property
    def not_waiting(self) -> bool:
        """An update of an item kept with its agent (on offer in the offer's queue, or
        a creation repeated; assigned; in wrap-up): applied (its snapshot and queue wait
        for a requeue) but announced by nothing, since no queue took it."""
        return self.code == NOT_WAITING


class OfferCommit(Struct, frozen=True, kw_only=True):
    """One decision to commit: offer (or directly assign) ``item_id`` to ``agent_id``.

    ``item_version`` is the version the decision saw (from ``QueuedItem.version``);
    ``deadline`` is ``None`` for a direct assignment. ``profile_defaults`` gives the
    tenant default limit of a profile the agent has no own limit for (core.capacity).
    """

    offer_id: str
    item_id: str
    agent_id: str
    queue: str
    item_version: int
    units: int = 1
    profiles: tuple[str, ...] = ()
    profile_defaults: dict[str, int] = {}
    allowed_presences: tuple[str, ...] = ("available", "busy")
    deadline: float | None = None
    manual: bool = False
    """A manual pick (O3): the item may also wait in the manual list (excluded from
    auto-assignment), and the agent need not be a member of the queue nor present."""


class QueuedItem(Struct, frozen=True, kw_only=True):
    """An item of a queue snapshot: the core's view plus what a commit needs."""

    item: WorkItem
    version: int
    member: str


class ItemRecord(Struct, frozen=True, kw_only=True):
    """Everything the store keeps about an item."""

    item: WorkItem
    state: str
    version: int
    queue: str | None = None
    member: str | None = None
    offer_id: str | None = None
    agent_id: str | None = None
    held: bool = False
    units: int = 0
    profiles: tuple[str, ...] = ()


class OfferRecord(Struct, frozen=True, kw_only=True):
    offer_id: str
    item_id: str
    agent_id: str
    queue: str
    state: str
    item_version: int
    units: int
    profiles: tuple[str, ...] = ()
    deadline: float | None = None
    created_at: float = 0.0


class DueOffer(Struct, frozen=True, kw_only=True):
    offer_id: str
    item_id: str
    agent_id: str
    deadline: float


__all__ = [
    "BASE_PRESENCES",
    "DEFAULT_CONFIG",
    "TERMINAL_STATES",
    "AgentState",
    "DueOffer",
    "ItemRecord",
    "ItemState",
    "OfferCommit",
    "OfferRecord",
    "Outcome",
    "QueuedItem",
    "StoreConfig",
    "WorkItem",
]
