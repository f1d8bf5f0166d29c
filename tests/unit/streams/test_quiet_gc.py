"""The collector settings of the worker and its relay process (router/streams/quiet_gc.py):
what start-up built is frozen out of full collections, and collections run less often."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from router.streams import quiet_gc


@pytest.fixture
def restored_gc() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_start_up_objects_are_frozen_and_collections_are_rarer(restored_gc: None) -> None:
    built_at_start_up = [[n] for n in range(1000)]  # containers the collector tracks
    quiet_gc.quiet_gc()
    assert gc.get_freeze_count() >= len(built_at_start_up)
    assert gc.get_threshold() == quiet_gc.GC_THRESHOLDS
    assert quiet_gc.GC_THRESHOLDS[0] > 700  # Python's default young threshold
