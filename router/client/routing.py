"""Which input topic each event type a client may publish travels on.

Derived from the contract's topic table so the client cannot drift from the router.
Timer events are the router's own and are deliberately absent: a client publishing
them would bypass the router's scheduling.
"""

from __future__ import annotations

from router.contract.topics import DEFAULT_PREFIX, topic_events

CLIENT_INPUT_SUFFIXES = ("work-items", "agents", "offer-responses")
OUTPUT_SUFFIXES = ("offers", "assignments", "declines", "item-status")
DEFAULT_SUBSCRIPTION = ("offers", "assignments", "declines")


def input_topics(prefix: str = DEFAULT_PREFIX) -> dict[str, str]:
    """Event type -> full topic name, for the event types a client may publish."""
    table: dict[str, str] = {}
    for contract in topic_events(prefix).values():
        if contract.suffix in CLIENT_INPUT_SUFFIXES:
            for event_type in contract.event_types:
                table[event_type] = contract.name
    return table


def output_topics(
    suffixes: tuple[str, ...], prefix: str = DEFAULT_PREFIX
) -> dict[str, frozenset[str]]:
    """Full topic name -> the event types it carries, for the given output suffixes.

    The dead-letter topic is the router's output too, but it carries refused input
    records byte for byte, not events a subscriber could decode: it is not offered."""
    contracts = {c.suffix: c for c in topic_events(prefix).values()
                 if c.direction == "out" and c.suffix in OUTPUT_SUFFIXES}
    unknown = [s for s in suffixes if s not in contracts]
    if unknown:
        raise ValueError(
            f"topics: {unknown} are not output topics (choose from {sorted(contracts)})"
        )
    return {contracts[s].name: contracts[s].event_types for s in suffixes}
