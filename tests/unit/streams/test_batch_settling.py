"""A stopping worker finishes the batch in hand before Faust acknowledges it, and a batch
that fails or cannot finish ends the process unacknowledged (redelivered, not lost)."""

from __future__ import annotations

import asyncio

import pytest

from router.streams import app


def test_a_stop_waits_for_the_batch_in_hand_then_stops() -> None:
    async def scenario() -> list[str]:
        seen: list[str] = []

        async def batch_work() -> None:
            await asyncio.sleep(0.2)
            seen.append("batch handled")

        batch = asyncio.ensure_future(batch_work())
        waiter = asyncio.ensure_future(app._settled(batch, "work-items"))
        await asyncio.sleep(0.05)
        waiter.cancel()  # Faust stopping the actor
        with pytest.raises(asyncio.CancelledError):
            await waiter
        seen.append("stopped")
        return seen

    assert asyncio.run(scenario()) == ["batch handled", "stopped"]


@pytest.mark.parametrize("failure", ["raises", "hangs"])
def test_a_batch_that_fails_or_hangs_ends_the_process_unacknowledged(
    failure: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    exits: list[int] = []

    class Exited(Exception):
        """Stands in for the process ending (SystemExit would escape the loop)."""

    def fake_exit(code: int) -> None:
        exits.append(code)
        raise Exited(code)

    monkeypatch.setattr(app.os, "_exit", fake_exit)
    monkeypatch.setattr(app, "STOP_GRACE_S", 0.1)

    async def scenario() -> None:
        async def batch_work() -> None:
            if failure == "raises":
                raise RuntimeError("dead-letter topic unreachable")
            await asyncio.sleep(60)

        batch = asyncio.ensure_future(batch_work())
        waiter = asyncio.ensure_future(app._settled(batch, "work-items"))
        if failure == "hangs":
            await asyncio.sleep(0.01)
            waiter.cancel()
        with pytest.raises(Exited):
            await waiter
        batch.cancel()

    asyncio.run(scenario())
    assert exits == [70]
