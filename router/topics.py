"""The router's Kafka topics as this deployment names them.

Which topics exist, their keys and the events on each are part of the event contract
(`router.contract.topics`); this module adds what depends on the deployment: the prefix
from the settings and the retention of each topic.
"""

from __future__ import annotations

from router.contract.topics import TopicContract, topic_events
from router.settings import Settings

WORK_ITEMS = "work-items"
AGENTS = "agents"
OFFER_RESPONSES = "offer-responses"
DEAD_LETTER = "dead-letter"


def topics(settings: Settings) -> list[TopicContract]:
    return list(topic_events(settings.topic_prefix).values())


def topic_name(settings: Settings, suffix: str) -> str:
    for contract in topics(settings):
        if contract.suffix == suffix:
            return contract.name
    raise KeyError(f"unknown topic {suffix!r}")


def retention_ms(settings: Settings, contract: TopicContract) -> int:
    """Dead letters wait longer than traffic: someone has to look at them."""
    if contract.suffix == DEAD_LETTER:
        return settings.dead_letter_retention_ms
    return settings.topic_retention_ms
