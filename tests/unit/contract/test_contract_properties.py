"""Whatever bytes arrive, decode either returns an event or raises DecodeError."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
from contract_helpers import dumps, example_builtins
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from router.contract import EVENT_TYPES, DecodeError, decode, encode
from router.contract.codec import UNEXPECTED
from router.contract.schemagen import event_schema

TYPES = sorted(EVENT_TYPES)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(
        ["2025-03-01T09:30:00Z", "2025-03-01T09:30:00+02:00", "2025-03-01", "", "q", "a/b"]
    )
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=25,
)
VALIDATORS = {t: jsonschema.Draft202012Validator(event_schema(t)) for t in TYPES}


def _check(raw: bytes) -> None:
    try:
        event = decode(raw)
    except DecodeError as exc:
        assert exc.reason
        assert not exc.reason.startswith(UNEXPECTED), exc.reason
        assert exc.path is None or exc.path
        return
    # Anything accepted re-encodes to an equal event and satisfies its JSON Schema.
    again = encode(event)
    assert decode(again) == event
    assert VALIDATORS[event.type].is_valid(json.loads(again))


@SETTINGS
@given(st.binary(max_size=300))
def test_random_bytes(raw: bytes) -> None:
    _check(raw)


@SETTINGS
@given(json_values)
def test_random_json(value: Any) -> None:
    _check(dumps(value))


@st.composite
def mutated_envelopes(draw: st.DrawFn) -> bytes:
    """A real example with a few fields replaced, added or removed, at the envelope or
    data level; sometimes the data of another event type."""
    doc = example_builtins(draw(st.sampled_from(TYPES)))
    if draw(st.booleans()):
        doc["data"] = example_builtins(draw(st.sampled_from(TYPES)))["data"]
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        target = (
            doc if draw(st.booleans()) or not isinstance(doc.get("data"), dict) else doc["data"]
        )
        keys = sorted(target) or ["x"]
        key = draw(st.sampled_from([*keys, "extra"]))
        action = draw(st.sampled_from(["replace", "drop", "replace"]))
        if action == "drop":
            target.pop(key, None)
        else:
            target[key] = draw(json_values)
    return dumps(doc)


@SETTINGS
@given(mutated_envelopes())
def test_random_envelopes(raw: bytes) -> None:
    _check(raw)


@SETTINGS
@given(
    st.sampled_from(TYPES),
    st.dictionaries(st.text(max_size=10), json_values, max_size=6),
)
def test_random_data_for_every_type(event_type: str, data: dict[str, Any]) -> None:
    doc = example_builtins(event_type)
    doc["data"] = data
    _check(dumps(doc))


@SETTINGS
@given(st.sampled_from(TYPES), st.binary(min_size=1, max_size=8), st.integers(0, 2000))
def test_corrupted_bytes_of_real_events(event_type: str, junk: bytes, at: int) -> None:
    raw = dumps(example_builtins(event_type))
    at = at % len(raw)
    _check(raw[:at] + junk + raw[at + len(junk) :])
