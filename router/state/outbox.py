"""The relay's side of a tenant's outbox in Redis: lease, take, acknowledge, skip.

Commits reserve numbered slots (``_lib.lua`` ``finish``); one relay per tenant at a time
(whichever worker holds the lease) publishes the filled slots in order and then moves the
cursor. A relay that dies mid-batch leaves the cursor where it was, so the next one
republishes that batch: duplicates with the same ids, never a gap or an inversion.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from router.state import keys
from router.state.redis_store import RedisBackend


@dataclass(frozen=True)
class Batch:
    cursor: int
    """The last slot published before this batch; its slots are cursor+1, cursor+2 ..."""
    blocked: int
    """The first slot still reserved (its outputs not filled in yet), 0 if none."""
    late: tuple[bytes, ...]
    """Payloads of skipped slots that were filled afterwards (publish them first)."""
    slots: tuple[bytes, ...]
    pending: int = 0
    """Slots reserved after the cursor when the batch was taken (these and later ones)."""

    @property
    def upto(self) -> int:
        return self.cursor + len(self.slots)

    @property
    def left(self) -> int:
        """Slots still unpublished once this batch is."""
        return self.pending - len(self.slots)

    @property
    def empty(self) -> bool:
        return not self.slots and not self.late


class RedisOutbox:
    def __init__(self, backend: RedisBackend, tenant: str, owner: str,
                 lease_ms: int = 5_000) -> None:
        self._b = backend
        self.tenant = tenant
        self.owner = owner
        self._lease_ms = lease_ms
        t = tenant
        self._lease = keys.outbox_lease(t)
        self._cursor = keys.outbox_cursor(t)
        self._seq = keys.outbox_seq(t)
        self._slots = keys.outbox_slots(t)
        self._late = keys.outbox_late(t)
        self._skipped = keys.outbox_skipped(t)

    async def take(self, limit: int) -> Batch | None:
        """The next batch, taking or renewing the lease; None while another relay has it."""
        return self._batch(await self._take([self.owner, str(self._lease_ms), str(limit)]))

    async def ack_and_take(self, batch: Batch, limit: int) -> tuple[bool, Batch | None]:
        """`ack(batch)` then `take(limit)` in one call (one round trip instead of two);
        (False, None) if the acknowledgement was refused, as `ack` would."""
        reply = await self._take([self.owner, str(self._lease_ms), str(limit), *self._acked(batch)])
        if int(reply[0]) == -1:
            return False, None
        return True, self._batch(reply)

    async def _take(self, args: list[str]) -> Any:
        return await self._b.scripts.run(
            "outbox_take", [self._lease, self._cursor, self._seq, self._slots, self._late],
            args)

    @staticmethod
    def _acked(batch: Batch) -> list[str]:
        return [str(batch.upto), str(len(batch.late)), str(batch.cursor)]

    @staticmethod
    def _batch(reply: Any) -> Batch | None:
        if int(reply[0]) == 0:
            return None
        cursor, blocked, late_count = int(reply[1]), int(reply[2]), int(reply[3])
        rest = reply[5:]
        return Batch(cursor=cursor, blocked=blocked, late=tuple(rest[:late_count]),
                     slots=tuple(rest[late_count:]), pending=int(reply[4]))

    async def ack(self, batch: Batch, *, release: bool = False) -> bool:
        """Record the batch as published; False if the lease was lost meanwhile."""
        done = await self._b.scripts.run(
            "outbox_ack",
            [self._lease, self._cursor, self._slots, self._late],
            [self.owner, *self._acked(batch), "1" if release else "0"],
        )
        return int(done) == 1

    async def skip(self, slot: int) -> bool:
        """Stop waiting for a reserved slot (see ``outbox_skip.lua``)."""
        done = await self._b.scripts.run(
            "outbox_skip",
            [self._lease, self._cursor, self._slots, self._skipped],
            [self.owner, str(slot)],
        )
        return int(done) == 1

    async def pending(self) -> int:
        """Slots reserved and not yet published (for metrics and tests)."""
        seq, cursor = await self._b.client.mget(self._seq, self._cursor)
        return int(seq or 0) - int(cursor or 0)
