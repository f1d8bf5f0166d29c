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
TIMERS = "timers"
DEAD_LETTER = "dead-letter"


def topics(settings: Settings) -> list[TopicContract]:
    return list(topic_events(settings.topic_prefix).values())


def topic_name(settings: Settings, suffix: str) -> str:
    for contract in topics(settings):
        if contract.suffix == suffix:
            return contract.name
    raise KeyError(f"unknown topic {suffix!r}")


FIXED_PRODUCER_SETTINGS = {"enable.idempotence": True, "partitioner": "murmur2_random"}
"""What every librdkafka producer of router topics needs: no duplicates on retry, order
per partition, and aiokafka's (Faust's) partitioner, so a key lands where the worker
that owns it reads (docs/design.md, "Events")."""

DEAD_LETTER_MAX_MESSAGE_BYTES = 4 * 1024 * 1024
"""A dead letter carries its record base64-encoded (about 4/3 of its size) plus the
reason, so the dead-letter topic must take messages well above the 1 MiB inputs may have;
otherwise the largest bad records could not be kept."""

DEAD_LETTER_RECORD_MAX_BYTES = DEAD_LETTER_MAX_MESSAGE_BYTES - 16 * 1024
"""A dead letter's key, value and headers at most: the topic's and the producer's limit,
less room for the record's and its batch's framing (larger ones leave parts out:
router/contract/deadletter.py)."""


def topic_config(settings: Settings, contract: TopicContract) -> dict[str, str]:
    config = {"retention.ms": str(retention_ms(settings, contract))}
    if contract.suffix == DEAD_LETTER:
        config["max.message.bytes"] = str(DEAD_LETTER_MAX_MESSAGE_BYTES)
    return config


def retention_ms(settings: Settings, contract: TopicContract) -> int:
    """Dead letters wait longer than traffic: someone has to look at them."""
    if contract.suffix == DEAD_LETTER:
        return settings.dead_letter_retention_ms
    return settings.topic_retention_ms
