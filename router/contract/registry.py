"""Event type name -> Struct, for every event the router reads or writes."""

from __future__ import annotations

from typing import Any, cast, get_args

import msgspec

from router.contract.envelope import Event
from router.contract.inputs import INPUT_EVENTS
from router.contract.outputs import OUTPUT_EVENTS


def _type_name(cls: type[Event[Any]]) -> str:
    return cast(str, cls.__struct_config__.tag)


def _data_type(cls: type[Event[Any]]) -> type[msgspec.Struct]:
    for base in cls.__orig_bases__:  # type: ignore[attr-defined]
        args = get_args(base)
        if args:
            return cast(type[msgspec.Struct], args[0])
    raise TypeError(f"{cls.__name__} does not parameterize Event[...]")


EVENT_TYPES: dict[str, type[Event[Any]]] = {
    _type_name(cls): cls for cls in (*INPUT_EVENTS, *OUTPUT_EVENTS)
}
"""Every event type (inputs and outputs, each once) -> its envelope Struct."""

DATA_TYPES: dict[str, type[msgspec.Struct]] = {
    name: _data_type(cls) for name, cls in EVENT_TYPES.items()
}
"""Every event type -> the Struct of its `data`."""

INPUT_TYPES: frozenset[str] = frozenset(_type_name(cls) for cls in INPUT_EVENTS)
OUTPUT_TYPES: frozenset[str] = frozenset(_type_name(cls) for cls in OUTPUT_EVENTS)
