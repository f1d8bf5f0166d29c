from __future__ import annotations

import pytest

from router.settings import Settings
from router.topics import DEAD_LETTER, TOPICS, Direction, retention_ms, topic_name


def test_every_topic_carries_the_prefix() -> None:
    settings = Settings(topic_prefix="acme.")
    names = [topic_name(settings, spec.suffix) for spec in TOPICS]
    assert all(name.startswith("acme.") for name in names)
    assert len(set(names)) == len(names)


def test_inputs_and_outputs_are_both_there() -> None:
    directions = {spec.direction for spec in TOPICS}
    assert directions == {Direction.IN, Direction.OUT}


def test_dead_letters_are_kept_longer() -> None:
    settings = Settings()
    spec = next(s for s in TOPICS if s.suffix == DEAD_LETTER)
    assert retention_ms(settings, spec) > settings.topic_retention_ms


def test_an_unknown_topic_is_refused() -> None:
    with pytest.raises(KeyError):
        topic_name(Settings(), "nope")
