from __future__ import annotations

import pytest

from router.settings import Settings
from router.topics import DEAD_LETTER, retention_ms, topic_name, topics


def test_every_topic_carries_the_prefix() -> None:
    settings = Settings(topic_prefix="acme.")
    names = [contract.name for contract in topics(settings)]
    assert all(name.startswith("acme.") for name in names)
    assert len(set(names)) == len(names)
    assert topic_name(settings, "work-items") == "acme.work-items"


def test_inputs_and_outputs_are_both_there() -> None:
    directions = {contract.direction for contract in topics(Settings())}
    assert directions == {"in", "out"}


def test_dead_letters_are_kept_longer() -> None:
    settings = Settings()
    contract = next(c for c in topics(settings) if c.suffix == DEAD_LETTER)
    assert retention_ms(settings, contract) > settings.topic_retention_ms


def test_an_unknown_topic_is_refused() -> None:
    with pytest.raises(KeyError):
        topic_name(Settings(), "nope")
