"""The envelope every event shares, and the constrained field types the models reuse.

The envelope follows CloudEvents closely (`id`, `type`, `source`, `subject`, `time`) and
adds the router's `tenant` and `schema_version`. `type` is the tag of a msgspec tagged
union: one Struct per event type, each with its own typed `data`, so one decoding pass
both picks the type and validates the payload.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Generic, Literal, TypeVar, cast

import msgspec

SCHEMA_VERSION: Literal[1] = 1
"""The only envelope/data layout version this code reads and writes."""

UNKNOWN_TENANT = "_unknown"
"""Tenant of a dead letter whose tenant could not be read. Ids starting with `_` are
reserved for the router, so this never names a real tenant."""

_ZERO = timedelta(0)

# Constrained scalar types. JSON Schema constraints are generated from these Meta objects.
EventId = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=256,
        description="Unique per tenant; a redelivered event carries the same id.",
    ),
]
TenantId = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$",
        description="Tenant id: letters, digits, '_', '.', '-'; no '/' (it ends the key's "
        "tenant part). Ids starting with '_' are reserved for the router.",
    ),
]
Id = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
Text = Annotated[str, msgspec.Meta(max_length=1024)]
Count = Annotated[int, msgspec.Meta(ge=0, le=2**53)]
PositiveInt = Annotated[int, msgspec.Meta(ge=1, le=2**53)]
Number = Annotated[int, msgspec.Meta(ge=-(2**53), le=2**53)] | float
UtcTime = Annotated[
    datetime,
    msgspec.Meta(tz=True, description="RFC 3339 timestamp in UTC, e.g. 2025-03-01T09:30:00Z"),
]
JsonObject = dict[str, Any]

D = TypeVar("D", bound=msgspec.Struct)


class Data(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Base of every `data` payload: immutable, keyword-only, unknown fields rejected."""


class Event(
    msgspec.Struct,
    Generic[D],
    frozen=True,
    kw_only=True,
    forbid_unknown_fields=True,
    tag_field="type",
):
    """Envelope shared by every event; subclasses fix `type` (the tag) and `data`."""

    id: EventId
    tenant: TenantId
    time: UtcTime
    source: Annotated[
        str,
        msgspec.Meta(
            min_length=1,
            max_length=256,
            description="Producer identity (URI-reference), e.g. 'connector/chat-eu-1'.",
        ),
    ]
    subject: Annotated[
        str,
        msgspec.Meta(
            min_length=1,
            max_length=512,
            description="The work item id or agent id the event is about; the Kafka key is "
            "'<tenant>/<subject>'. Dead letters use '<topic>/<partition>/<offset>'.",
        ),
    ]
    schema_version: Literal[1]
    data: D

    @property
    def type(self) -> str:
        """The event type, e.g. `work_item.created` (the tagged union's tag)."""
        return cast(str, self.__struct_config__.tag)

    @property
    def key(self) -> bytes:
        """The Kafka record key this event travels under: `tenant/subject`."""
        return f"{self.tenant}/{self.subject}".encode()

    def __post_init__(self) -> None:
        require_utc("time", self.time)


def field_error(field: str, message: str) -> ValueError:
    """An error raised from `__post_init__` that the codec reports at `<struct>.<field>`.

    msgspec turns a ValueError raised in `__post_init__` into a ValidationError located at
    the struct; the `@field:` prefix lets the codec point at the field itself.
    """
    return ValueError(f"@{field}: {message}")


def require_utc(field: str, value: datetime | None) -> None:
    if value is None or value.tzinfo is UTC:
        return
    if value.utcoffset() != _ZERO:
        raise field_error(field, "timestamp must be in UTC (end with 'Z' or '+00:00')")


def require_utc_fields(obj: Any, *fields: str) -> None:
    for name in fields:
        value = getattr(obj, name)
        if isinstance(value, datetime):
            require_utc(name, value)


class AnyEnvelope(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Any event with `data` left as a JSON object: the common shape, for the envelope
    schema and for tools that only route or inspect events."""

    id: EventId
    type: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    tenant: TenantId
    time: UtcTime
    source: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
    subject: Annotated[str, msgspec.Meta(min_length=1, max_length=512)]
    schema_version: Literal[1]
    data: JsonObject
