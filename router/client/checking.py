"""Build contract events and check them exactly as the router will.

msgspec does not check types or constraints when a Struct is constructed, only when it
is decoded. So every event is encoded and decoded again with the router's own codec
(same size limit, same key rule) before it is produced: whatever would land on the
router's dead-letter topic is refused here instead, with the field that is wrong.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import msgspec

from router.client.errors import InvalidEvent
from router.contract import codec
from router.contract.envelope import Data, Event

_POST_INIT = re.compile(r"^@(?P<field>[A-Za-z_][A-Za-z0-9_]*): (?P<reason>.*)$", re.DOTALL)

DataT = TypeVar("DataT", bound=msgspec.Struct)


def _from_value_error(event_type: str, prefix: str, exc: ValueError) -> InvalidEvent:
    """Contract models raise `@field: reason` from `__post_init__`; point at the field."""
    found = _POST_INIT.match(str(exc))
    if found:
        return InvalidEvent(event_type, f"{prefix}{found['field']}", found["reason"])
    return InvalidEvent(event_type, prefix.rstrip(".") or None, str(exc))


def build_data(event_type: str, factory: Callable[..., DataT], **fields: Any) -> DataT:
    """`factory(**fields)`, with the models' own checks reported as `InvalidEvent`."""
    try:
        return factory(**fields)
    except ValueError as exc:
        raise _from_value_error(event_type, "data.", exc) from None
    except TypeError as exc:  # wrong or missing keyword: a bug in the caller's call
        raise InvalidEvent(event_type, "data", str(exc)) from None


def build_event(
    event_cls: type[Event[Any]],
    *,
    tenant: str,
    subject: str,
    source: str,
    data: Data,
    event_id: str | None = None,
    at: datetime | None = None,
) -> Event[Any]:
    """An envelope around `data`: a fresh UUID id unless the caller gives one (give the
    same id when retrying, so the router counts the event once), `at` defaults to now."""
    event_type = str(event_cls.__struct_config__.tag)
    try:
        return event_cls(
            id=str(uuid.uuid4()) if event_id is None else event_id,
            tenant=tenant,
            time=datetime.now(UTC) if at is None else at,
            source=source,
            subject=subject,
            schema_version=1,
            data=data,
        )
    except ValueError as exc:
        raise _from_value_error(event_type, "", exc) from None


def checked_bytes(event: Event[Any], *, max_bytes: int, types: frozenset[str]) -> bytes:
    """The event's wire form, after the router's decoder has accepted it."""
    try:
        raw = codec.encode(event)
        # NaN and infinity come out as null: only then is there one to look for.
        bad_number = (_non_finite(msgspec.to_builtins(event.data), "data")
                      if b"null" in raw else None)
    except (TypeError, ValueError, OverflowError) as exc:  # e.g. a set or object in attributes
        raise InvalidEvent(event.type, "data", f"cannot be encoded as JSON: {exc}") from None
    except RecursionError:
        raise InvalidEvent(event.type, "data", "nested too deeply to encode") from None
    if bad_number is not None:
        raise InvalidEvent(event.type, bad_number,
                           "NaN and infinity are not numbers in JSON (they would be sent "
                           "as null, read as not set)")
    try:
        codec.decode(raw, max_bytes=max_bytes, types=types, key=event.key)
    except codec.DecodeError as exc:
        raise InvalidEvent(event.type, exc.path, exc.reason) from None
    return raw


def _non_finite(value: Any, path: str) -> str | None:
    """The path of the first NaN or infinity in `value`: the encoder writes them as null,
    so `priority=nan` would arrive as "no priority" instead of failing here."""
    if isinstance(value, float):
        return None if math.isfinite(value) else path
    if isinstance(value, dict):
        for key, item in value.items():
            found = _non_finite(item, f"{path}.{key}")
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = _non_finite(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None
