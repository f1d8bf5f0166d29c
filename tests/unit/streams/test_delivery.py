"""Records handed to the streams inline (router/streams/delivery.py): the drain loop's
call runs in the caller's task while the flow is on, and falls back to Faust's own
`wait_first` whenever the second awaitable could win."""

from __future__ import annotations

import asyncio
import warnings
from typing import Any

from mode import Service

from router.streams import delivery


class DrainingConsumer(Service):
    """A mode service with the consumer's flow flag, like Faust's Consumer."""

    def __init__(self) -> None:
        super().__init__()
        self.suspend_flow = asyncio.Event()

    wait_first = delivery.wait_first


def test_a_record_is_delivered_in_the_draining_task_while_the_flow_is_on() -> None:
    async def scenario() -> tuple[bool, Any]:
        consumer = DrainingConsumer()
        caller = asyncio.current_task()
        ran_in: list[asyncio.Task[Any] | None] = []

        async def callback() -> str:
            ran_in.append(asyncio.current_task())
            return "delivered"

        with warnings.catch_warnings():
            warnings.simplefilter("error")  # the unused flow wait must not leak
            results = await consumer.wait_first(callback(), consumer.suspend_flow.wait())
        return ran_in == [caller], results

    inline, results = asyncio.run(scenario())
    assert inline
    assert results.results == ["delivered"] and not results.stopped


def test_a_suspended_flow_goes_through_faust_and_stops_waiting_for_the_record() -> None:
    # A rebalance: the record's delivery blocks on flow control, and the drain loop must
    # be let go as Faust lets it go.
    async def scenario() -> tuple[list[Any], bool]:
        consumer = DrainingConsumer()
        consumer.suspend_flow.set()
        blocked = asyncio.Event()

        async def callback() -> None:
            await blocked.wait()

        results = await asyncio.wait_for(
            consumer.wait_first(callback(), consumer.suspend_flow.wait()), 5)
        return results.results, results.stopped

    results, stopped = asyncio.run(scenario())
    assert results == [True] and not stopped


def test_a_stopping_consumer_goes_through_faust() -> None:
    async def scenario() -> bool:
        consumer = DrainingConsumer()
        consumer._stopped.set()

        async def callback() -> None:
            await asyncio.sleep(60)

        results = await asyncio.wait_for(
            consumer.wait_first(callback(), consumer.suspend_flow.wait()), 5)
        return bool(results.stopped)

    assert asyncio.run(scenario())


def test_installing_replaces_the_consumers_wait_first() -> None:
    from faust.transport.consumer import Consumer

    delivery.install()
    delivery.install()
    assert Consumer.wait_first is delivery.wait_first
