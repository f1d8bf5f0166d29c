"""Items an agent cycle of this process has taken or is taking, for its concurrent peers.

A worker handles a batch of inputs concurrently, so a batch of agents freed together
(a shift starting, a queue opening) runs its agent cycles side by side on views read at
about the same moment. Each would take the same head item; all but one commit would
conflict, and a cycle gives up after a few conflicts while items still wait. A claim
makes the peers pass over the item: held while its commit is in flight, and for a short
while after it succeeded, since a peer's view read before that commit still lists the
item. A failed commit drops its claim at once. A claim names the item's version: an
item offered and then declined or requeued comes back with a new version, which no
claim covers, so agent cycles see it at once. Claims only steer this process's
decisions; the store's commit still re-checks everything.
"""

from __future__ import annotations

import time
from collections.abc import Callable

Claim = tuple[str, int]
"""(item id, item version the cycle decided on)."""

HOLD_AFTER_COMMIT_S = 1.0
"""Longer than a cycle keeps a view; short enough that an item declined and queued
again at once is soon visible to agent cycles (its own item cycle does not look)."""

PRUNE_ABOVE = 4096
"""Claims kept before expired ones are forgotten (at least)."""


class Claims:
    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 hold_s: float = HOLD_AFTER_COMMIT_S) -> None:
        self._clock = clock
        self._hold_s = hold_s
        self._until: dict[Claim, float] = {}
        self._prune_above = PRUNE_ABOVE

    def claim(self, item: Claim) -> None:
        self._until[item] = float("inf")

    def committed(self, item: Claim) -> None:
        self._until[item] = self._clock() + self._hold_s
        if len(self._until) > self._prune_above:  # forget expired claims now and then
            now = self._clock()
            self._until = {i: t for i, t in self._until.items() if t > now}
            # More live claims than the threshold (a high commit rate) must not make
            # every commit rebuild the dict: prune again only once it has doubled.
            self._prune_above = max(PRUNE_ABOVE, 2 * len(self._until))

    def release(self, item: Claim) -> None:
        self._until.pop(item, None)

    def covering(self) -> Callable[[Claim], bool] | None:
        """A test of whether to pass over an (item, version) now; None when nothing is
        claimed. Checked item by item on a cycle's view, so it costs a lookup, not a
        copy of every claim (a second's worth of commits at a high rate)."""
        if not self._until:
            return None
        now, until = self._clock(), self._until
        return lambda item: until.get(item, 0.0) > now

    def held(self) -> frozenset[Claim]:
        """The items to pass over now, all at once (for inspection)."""
        if not self._until:
            return frozenset()
        now = self._clock()
        return frozenset(i for i, t in self._until.items() if t > now)
