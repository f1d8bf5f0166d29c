"""Snapshot encoding and the live-field overlay, shared by both stores.

Snapshots are msgpack (msgspec): compact, and Lua never needs to look inside them.
What Lua does change (used capacity, last assignment and release times, declines) lives
in separate fields and is laid over the snapshot when it is read, so a snapshot is
never stale in those fields.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec
import orjson
from msgspec import structs

from router.core.types import AgentState, WorkItem
from router.state.model import BASE_PRESENCES, Outcome

_enc = msgspec.msgpack.Encoder()
_item_dec = msgspec.msgpack.Decoder(WorkItem)
_agent_dec = msgspec.msgpack.Decoder(AgentState)
_outcome_dec = msgspec.json.Decoder(Outcome)

SEP = "\x1f"


_DEFAULTS: dict[type, list[tuple[str, str, Any]]] = {}
_NONE = object()


def _defaults(kind: type[msgspec.Struct]) -> list[tuple[str, str, Any]]:
    found = _DEFAULTS.get(kind)
    if found is None:
        found = []
        for f in structs.fields(kind):
            if f.default is not msgspec.NODEFAULT:
                default = f.default
            elif f.default_factory is not msgspec.NODEFAULT:
                default = f.default_factory()
            else:
                default = _NONE
            found.append((f.name, f.encode_name, default))
        _DEFAULTS[kind] = found
    return found


def _compact(obj: msgspec.Struct) -> dict[str, Any]:
    """The fields that differ from their defaults: a map the Struct decoder reads back
    to the same value, under half the size of the full Struct for a typical item."""
    out: dict[str, Any] = {}
    for name, encode_name, default in _defaults(type(obj)):
        value = getattr(obj, name)
        if default is _NONE or value != default:
            out[encode_name] = value
    return out


def encode_item(item: WorkItem) -> bytes:
    # declines are the store's (declines hash), not the snapshot's
    return _enc.encode(_compact(structs.replace(item, declines={}) if item.declines else item))


def decode_item(raw: bytes) -> WorkItem:
    return _item_dec.decode(raw)


def encode_agent(agent: AgentState) -> bytes:
    return _enc.encode(_compact(agent))


def decode_agent(raw: bytes) -> AgentState:
    return _agent_dec.decode(raw)


def decode_outcome(raw: bytes | str, duplicate: bool, event_id: str) -> Outcome:
    return structs.replace(_outcome_dec.decode(raw), duplicate=duplicate, event_id=event_id)


def outcome_from(fields: Mapping[str, object]) -> Outcome:
    """The in-memory store's outcome, through the same JSON round trip as Lua's."""
    return _outcome_dec.decode(orjson.dumps(dict(fields)))


def outputs_arg(outputs: Sequence[str] | None) -> str:
    """``''`` asks the script to reserve an outbox slot for outputs filled in later."""
    return "" if outputs is None else orjson.dumps(list(outputs)).decode()


def text(value: Any) -> str:
    """A Redis reply (bytes) as text; anything else as its str."""
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def num(value: float) -> str:
    """A number as passed to Lua: shortest text that reads back as the same double."""
    return repr(float(value))


def base_presence_of(agent: AgentState, given: str | None) -> str:
    if given is not None:
        return given
    return agent.presence if agent.presence in BASE_PRESENCES else "offline"


def with_declines(item: WorkItem, declines: Mapping[str, int]) -> WorkItem:
    return structs.replace(item, declines=dict(declines))


def overlay_agent(
    agent: AgentState,
    used_units: int,
    profile_used: Mapping[str, int],
    last_assigned: Mapping[str, float],
    last_release: float | None,
) -> AgentState:
    """The snapshot with the store's live fields (zero profile counts dropped)."""
    return structs.replace(
        agent,
        used_units=used_units,
        profile_used={p: n for p, n in sorted(profile_used.items()) if n},
        last_assigned_at={**agent.last_assigned_at, **last_assigned},
        last_capacity_release_at=(
            last_release if last_release is not None else agent.last_capacity_release_at
        ),
    )


def agent_from_hash(fields: Mapping[bytes, bytes]) -> AgentState:
    """An agent from its Redis hash (snapshot + live fields)."""
    used: dict[str, int] = {}
    last: dict[str, float] = {}
    for key, value in fields.items():
        if key.startswith(b"pu:"):
            used[key[3:].decode()] = int(value)
        elif key.startswith(b"la:"):
            last[key[3:].decode()] = float(value)
    release = fields.get(b"rel")
    return overlay_agent(
        decode_agent(fields[b"snap"]),
        int(fields.get(b"uu", b"0")),
        used,
        last,
        float(release) if release is not None else None,
    )
