"""Every Kafka topic the router reads or writes, named from one prefix.

Topic creation, the Faust agents, the client SDK and the tests all take their names from
here, so a deployment that changes the prefix changes it everywhere at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from router.settings import Settings


class Direction(Enum):
    IN = "in"
    OUT = "out"


@dataclass(frozen=True)
class TopicSpec:
    suffix: str
    direction: Direction
    key: str
    purpose: str


TOPICS: tuple[TopicSpec, ...] = (
    TopicSpec("work-items", Direction.IN, "tenant/work_item_id", "work item lifecycle (C1)"),
    TopicSpec("agents", Direction.IN, "tenant/agent_id", "presence, capacity, skills, queues"),
    TopicSpec("offer-responses", Direction.IN, "tenant/work_item_id", "accept, decline, pick"),
    TopicSpec("offers", Direction.OUT, "tenant/work_item_id", "offers and their outcomes"),
    TopicSpec("assignments", Direction.OUT, "tenant/work_item_id", "accepted assignments"),
    TopicSpec("declines", Direction.OUT, "tenant/work_item_id", "declines and exclusions"),
    TopicSpec("item-status", Direction.OUT, "tenant/work_item_id", "classification, queueing"),
    TopicSpec("dead-letter", Direction.OUT, "source topic key", "input the router rejected"),
)

WORK_ITEMS = "work-items"
AGENTS = "agents"
OFFER_RESPONSES = "offer-responses"
DEAD_LETTER = "dead-letter"


def topic_name(settings: Settings, suffix: str) -> str:
    if suffix not in {spec.suffix for spec in TOPICS}:
        raise KeyError(f"unknown topic {suffix!r}")
    return f"{settings.topic_prefix}{suffix}"


def retention_ms(settings: Settings, spec: TopicSpec) -> int:
    """Dead letters wait longer than traffic: someone has to look at them."""
    if spec.suffix == DEAD_LETTER:
        return settings.dead_letter_retention_ms
    return settings.topic_retention_ms
