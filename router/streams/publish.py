"""Publishing output events, with delivery confirmed before the input counts as handled.

Faust commits an input's offset once the agent moves past it. Waiting here for the
broker's acknowledgement of every output first means a worker killed at any instant has
either published all of an input's outputs or will see the input again (and re-emit the
same outputs, DESIGN invariant 4).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from router.contract.codec import encode
from router.contract.envelope import Event
from router.contract.topics import output_topic


class Publisher:
    def __init__(self, topics: Mapping[str, Any], prefix: str) -> None:
        self._topics = topics  # full topic name -> Faust topic
        self._prefix = prefix

    async def publish(self, events: Sequence[Event[Any]]) -> None:
        pending = []
        for event in events:
            topic = self._topics[output_topic(event.type, self._prefix)]
            pending.append(await topic.send(key=event.key, value=encode(event)))
        if pending:
            await asyncio.gather(*pending)
