"""The store port: every read and atomic mutation of routing state, for one tenant.

Two adapters implement it with the same semantics and pass one contract suite
(``tests/unit/state/contract.py``): ``RedisStore`` (Lua scripts, standalone or Cluster)
and ``MemoryStore`` (pure Python, for the simulator and unit tests).

Rules every mutation follows:

* It carries the id of the input event that caused it. A repeated id changes nothing and
  returns the ``Outcome`` recorded the first time (``duplicate=True``), including the
  caller's ``outputs`` (pre-encoded output events) stored with it.
* A recorded change with outputs takes the tenant's next outbox slot (``Outcome.seq``):
  outputs are published in slot order, which is the order of the commits, whichever
  worker made them. ``outputs=None`` reserves the slot for outputs that depend on the
  outcome; the caller then fills it with ``fill_outbox``. ``()`` means none (no slot).
  Outputs given up front announce a success: a recorded ``ok=False`` outcome drops them.
* It is atomic: preconditions are checked and every effect applied at once.
* ``now`` is the event time (epoch seconds) given by the caller; the store never reads a
  clock, so replaying the same events yields the same state and outcomes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol

from router.core.types import AgentState, WorkItem
from router.state.model import (
    DueOffer,
    ItemRecord,
    OfferCommit,
    OfferRecord,
    Outcome,
    QueuedItem,
)

WrapUpMode = Literal["until_closed", "none", "seconds"]


class Store(Protocol):
    """Routing state of one tenant."""

    @property
    def tenant(self) -> str: ...

    # -- mutations (idempotent by event id) --------------------------------------------

    async def upsert_item(
        self,
        event_id: str,
        item: WorkItem,
        *,
        queue: str | None,
        bucket: int,
        order_key: Sequence[float],
        now: float,
        outputs: Sequence[str] | None = (),
        revoking: str | None = None,
    ) -> Outcome:
        """Created / updated (C1, C5): store the snapshot, bump the version and, while
        the item waits, (re)place it in ``queue`` at ``(bucket, order_key)``. An item
        on offer or assigned keeps its place in the record for a requeue
        (``updated_not_waiting``), except that an update (``revoking`` not None) of an
        item on offer whose pending offer was made for another queue than ``queue``
        (or ``queue`` None) places it like a waiting one, still unassigned, and revokes
        that offer (``revoked``, ``agent_id``, and ``released`` if it held capacity;
        code ``updated``). ``revoking`` names the offer the caller expects the update
        to revoke ('' for none), since ``outputs`` announce it: when the store finds
        otherwise, nothing changes and ``conflict:item_state`` (not recorded) says to
        read the item again. None, for a creation repeated: an item on offer is never
        moved."""
        ...

    async def admit_item(
        self,
        event_id: str,
        item: WorkItem,
        *,
        queue: str,
        bucket: int,
        order_key: Sequence[float],
        now: float,
        outputs: Sequence[str],
        offer_event_id: str,
        offer: OfferCommit,
        offer_outputs: Sequence[str],
    ) -> tuple[Outcome, Outcome | None]:
        """A new item queued and offered in one atomic step: ``upsert_item`` and, when
        that created the item, ``commit_offer(offer_event_id, offer)`` at the version it
        gave the item (``offer.item_version`` is not read), with the same outcomes,
        records and outbox slots as the two calls one after the other. The commit's
        outcome is None when it was not tried (a repeated event, an item that existed)."""
        ...

    async def upsert_agent(
        self,
        event_id: str,
        agent: AgentState,
        *,
        now: float,
        base_presence: str | None = None,
        outputs: Sequence[str] | None = (),
    ) -> Outcome:
        """Registered / presence / capacity / queues / profile change: store the
        snapshot (used capacity stays the store's), update the ready indexes; going
        offline revokes the agent's pending offers (O5, listed in ``revoked``)."""
        ...

    async def commit_offer(
        self, event_id: str, offer: OfferCommit, *, now: float, outputs: Sequence[str] | None = ()
    ) -> Outcome:
        """Re-check (item queued at ``item_version`` in ``queue``; agent in the queue,
        allowed presence, room by units and by profiles) and apply the decision: reserve
        capacity, take the item out of its bucket, record the offer and its deadline
        (or the assignment when ``deadline`` is None). ``conflict:*`` on a failed check."""
        ...

    async def accept(
        self, event_id: str, offer_id: str, *, now: float, outputs: Sequence[str] | None = ()
    ) -> Outcome:
        """Offer -> assignment; the capacity stays reserved."""
        ...

    async def decline(
        self,
        event_id: str,
        offer_id: str,
        *,
        now: float,
        decline_limit: int = 3,
        max_distinct_declines: int = 100,
        outputs: Sequence[str] | None = (),
    ) -> Outcome:
        """Release the capacity, requeue the item, count the decline (O2)."""
        ...

    async def expire(
        self,
        event_id: str,
        offer_id: str,
        *,
        now: float,
        decline_limit: int = 3,
        max_distinct_declines: int = 100,
        outputs: Sequence[str] | None = (),
    ) -> Outcome:
        """A decline by timeout; ``not_due`` (not recorded) before the deadline."""
        ...

    async def revoke(
        self,
        event_id: str,
        offer_id: str,
        *,
        now: float,
        outputs: Sequence[str] | None = (),
    ) -> Outcome:
        """Withdraw a pending offer: release, requeue, no decline counted."""
        ...

    async def complete(
        self,
        event_id: str,
        item_id: str,
        *,
        now: float,
        wrap_up: WrapUpMode = "until_closed",
        release_at: float | None = None,
        outputs: Sequence[str] | None = (),
    ) -> Outcome:
        """Assignment done; capacity is released now (``none``), at ``release_at``
        (``seconds``, by ``due_wrap_ups`` + ``release_wrap_up``) or on close."""
        ...

    async def release_wrap_up(
        self, event_id: str, item_id: str, *, now: float, outputs: Sequence[str] | None = ()
    ) -> Outcome:
        """Wrap-up timer: release the capacity of a completed item (``not_due`` early)."""
        ...

    async def close(
        self, event_id: str, item_id: str, *, now: float, outputs: Sequence[str] | None = ()
    ) -> Outcome:
        """Wrap-up over: release whatever the item holds; the item is finished."""
        ...

    async def cancel(
        self, event_id: str, item_id: str, *, now: float, outputs: Sequence[str] | None = ()
    ) -> Outcome:
        """Cancel: out of its queue, pending offer revoked, capacity released."""
        ...

    async def expire_item(
        self, event_id: str, item_id: str, *, now: float, outputs: Sequence[str] | None = ()
    ) -> Outcome:
        """X3: a cancel (code ``expire``), except for an item an agent has (assigned or
        in wrap-up), which is refused with ``held_by_agent`` and left as it is. Either
        way (and for an unknown or finished item) it leaves the expiry index."""
        ...

    async def schedule_expiry(self, item_id: str, at: float) -> None:
        """The item outlives its TTL at ``at``. Idempotent (called again for a redelivered
        creation); an item leaves the index when it is finished or expire_item is
        applied to it."""
        ...

    async def requeue(
        self,
        event_id: str,
        item_id: str,
        *,
        queue: str,
        bucket: int,
        order_key: Sequence[float],
        limit: int,
        now: float,
        outputs: Sequence[str] | None = (),
    ) -> Outcome:
        """O6: an assigned item back to ``queue`` at ``(bucket, order_key)``: capacity
        released, assignment closed. At most ``limit`` times per item (``requeue_limit``,
        nothing changed); ``not_assigned`` unless the item is assigned."""
        ...

    async def fill_outbox(self, seq: int, outputs: Sequence[str]) -> None:
        """Fill the slot a mutation called with ``outputs=None`` reserved (idempotent; a
        slot already published is left alone, one given up on is published late)."""
        ...

    # -- bounded reads ----------------------------------------------------------------

    async def top_items(self, queue: str, limit: int, offset: int = 0) -> list[QueuedItem]:
        """The first ``limit`` items of a queue, best first (P7 block); ``offset`` skips
        that many from the head (paging through a queue to re-sort it)."""
        ...

    async def reorder(self, queue: str,
                      moves: Sequence[tuple[str, int, int, Sequence[float]]]) -> int:
        """P4: give waiting items the place their priority has now. Each move is
        ``(item id, version seen, bucket, order key)``; an item that is no longer waiting
        in ``queue`` at that version is left alone. Returns how many moved."""
        ...

    async def candidate_agents(self, queue: str, limit: int) -> list[AgentState]:
        """Up to ``limit`` agents of the queue's ready index, most free units first."""
        ...

    async def due_offers(self, now: float, limit: int) -> list[DueOffer]:
        """Pending offers with a deadline at or before ``now``, earliest first."""
        ...

    async def due_wrap_ups(self, now: float, limit: int) -> list[str]:
        """Completed items whose wrap-up capacity release is due, earliest first."""
        ...

    async def due_expiries(self, now: float, limit: int) -> list[str]:
        """Items past their TTL at ``now`` whose expiry is not handled yet, earliest
        first."""
        ...

    async def recorded(self, event_id: str) -> Outcome | None:
        """The outcome recorded under ``event_id`` (``duplicate=True``), if any. A cycle
        asks before deciding, so a redelivered cause re-emits what its commits emitted
        even when the item has moved on since."""
        ...

    async def queue_depth(self, queue: str) -> int: ...

    async def get_item(self, item_id: str) -> ItemRecord | None: ...

    async def get_agent(self, agent_id: str) -> AgentState | None: ...

    async def get_offer(self, offer_id: str) -> OfferRecord | None: ...
