"""Bytes <-> events. `decode` raises nothing but `DecodeError`, whatever the input.

Decoding is one msgspec pass over a tagged union of every event type (the envelope's
`type` is the tag), followed by the checks that need context: tenant, topic, key.
"""

from __future__ import annotations

import re
from typing import Any, Union

import msgspec
import orjson

from router.contract.envelope import SCHEMA_VERSION, Event
from router.contract.registry import EVENT_TYPES

DEFAULT_MAX_BYTES = 65536
UNEXPECTED = "unexpected decoding failure: "
"""Prefix of the reason when msgspec fails in a way the codec does not map (a bug)."""

_ANY_EVENT: Any = Union[tuple(EVENT_TYPES.values())]  # noqa: UP007 (runtime union)
_DECODER: msgspec.json.Decoder[Event[Any]] = msgspec.json.Decoder(_ANY_EVENT)

_LOCATED = re.compile(r"^(?P<msg>.*) - at `(?P<path>[^`]*)`$", re.DOTALL)
_FIELD_NAMED = re.compile(r"^Object (?P<what>missing required|contains unknown) field `(?P<f>.*)`$")
_POST_INIT = re.compile(r"^@(?P<f>[A-Za-z_][A-Za-z0-9_]*): (?P<msg>.*)$", re.DOTALL)


class DecodeError(ValueError):
    """An input that is not a valid event. `reason` is for humans; `path` locates the
    offending field (`data.priority`, `data.preferred_agents[3]`) or is None."""

    def __init__(self, reason: str, path: str | None = None) -> None:
        super().__init__(reason, path)
        self.reason = reason
        self.path = path

    def __str__(self) -> str:
        return self.reason if self.path is None else f"{self.reason} (at {self.path})"


def _clip(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else f"{text[:limit]}..."


def _join(path: str | None, field: str) -> str:
    return field if path is None else f"{path}.{field}"


def _from_validation(message: str) -> DecodeError:
    located = _LOCATED.match(message)
    if located:
        msg = located["msg"]
        raw_path = located["path"]
        path: str | None = None if raw_path == "$" else raw_path.removeprefix("$.")
    else:
        msg, path = message, None

    named = _FIELD_NAMED.match(msg)
    if named:
        what = "missing required field" if named["what"] == "missing required" else "unknown field"
        return DecodeError(what, _join(path, named["f"]))
    post = _POST_INIT.match(msg)
    if post:
        return DecodeError(post["msg"], _join(path, post["f"]))
    if path is None and msg.startswith("Expected `object`, got "):
        return DecodeError(f"an event must be a JSON object, not {msg.rsplit('`', 2)[-2]}")
    if path == "type" and msg.startswith("Invalid value "):
        return DecodeError(f"unknown event type {_clip(msg.removeprefix('Invalid value '))}", path)
    if path == "schema_version" and msg.startswith("Invalid enum value "):
        found = msg.removeprefix("Invalid enum value ")
        return DecodeError(
            f"unsupported schema_version {_clip(found)} (this router reads {SCHEMA_VERSION})",
            path,
        )
    if msg.startswith("Expected `datetime` with a timezone"):
        return DecodeError("timestamp has no UTC offset (end it with 'Z')", path)
    if msg.startswith("Invalid RFC3339"):
        return DecodeError("not an RFC 3339 timestamp", path)
    return DecodeError(_clip(msg.replace("`", ""), 500), path)


def decode(
    raw: bytes | None,
    *,
    known_tenants: frozenset[str] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    types: frozenset[str] | None = None,
    key: bytes | None = None,
) -> Event[Any]:
    """Parse and validate one event.

    known_tenants: if given, the event's tenant must be one of them.
    max_bytes: larger payloads are rejected before parsing.
    types: if given, the event types accepted here (e.g. one input topic's types).
    key: if given, the Kafka record key, which must equal `tenant/subject`.
    """
    if raw is None:
        raise DecodeError("no record value (tombstone)")
    size = len(raw)
    if size > max_bytes:
        raise DecodeError(f"payload of {size} bytes exceeds the limit of {max_bytes} bytes")
    if size == 0:
        raise DecodeError("empty payload")
    try:
        event = _DECODER.decode(raw)
    except msgspec.ValidationError as exc:
        raise _from_validation(str(exc)) from None
    except msgspec.DecodeError as exc:
        raise DecodeError(f"not valid JSON: {exc}") from None
    except UnicodeDecodeError:
        raise DecodeError("not valid JSON: invalid UTF-8") from None
    except RecursionError:
        raise DecodeError("not valid JSON: nested too deeply") from None
    except Exception as exc:  # the consumer must never stop on bad input (Invariant 3)
        raise DecodeError(f"{UNEXPECTED}{type(exc).__name__}: {_clip(str(exc))}") from exc
    if known_tenants is not None and event.tenant not in known_tenants:
        raise DecodeError(f"unknown tenant {event.tenant!r}", "tenant")
    if types is not None and event.type not in types:
        raise DecodeError(f"event type {event.type!r} does not belong on this topic", "type")
    if key is not None and key != event.key:
        raise DecodeError(
            f"record key {_clip(repr(key))} does not match tenant/subject {_clip(repr(event.key))}",
            "subject",
        )
    return event


def encode(event: Event[Any]) -> bytes:
    """Compact JSON bytes (orjson); timestamps as RFC 3339 `...Z`, bytes as base64."""
    builtins = msgspec.to_builtins(event)
    try:
        return orjson.dumps(builtins)
    except TypeError:
        # orjson stops at 64-bit integers; free-form attributes may hold larger ones.
        return msgspec.json.encode(builtins)
