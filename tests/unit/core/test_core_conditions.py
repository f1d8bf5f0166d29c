"""Condition evaluation (SPEC M6): every operator, missing fields, dynamic values."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from core_helpers import NOW, item

from router.config.model import Condition
from router.core.conditions import MISSING, compare, describe, evaluate, uses_time
from router.core.resolve import item_resolver


def cond(data: dict[str, Any]) -> Condition:
    return msgspec.convert(data, Condition)


@pytest.mark.parametrize(
    ("op", "left", "right", "expected"),
    [
        ("eq", "en", "en", True),
        ("eq", "en", "fr", False),
        ("eq", MISSING, None, False),
        ("eq", True, 1, False),
        ("eq", 1, 1.0, True),
        ("ne", "en", "fr", True),
        ("ne", MISSING, "fr", True),
        ("ne", "fr", "fr", False),
        ("in", "fr", ["en", "fr"], True),
        ("in", "de", ["en", "fr"], False),
        ("in", MISSING, ["en"], False),
        ("not_in", "de", ["en", "fr"], True),
        ("not_in", MISSING, ["en"], True),
        ("not_in", "en", ["en"], False),
        ("gt", 5, 4, True),
        ("gt", 4, 4, False),
        ("ge", 4, 4, True),
        ("lt", 3, 4, True),
        ("le", 4, 4, True),
        ("le", 5, 4, False),
        ("gt", "5", 4, False),
        ("gt", MISSING, 4, False),
        ("lt", True, 4, False),
        ("contains_data", "x", None, True),
        ("contains_data", "", None, False),
        ("contains_data", [], None, False),
        ("contains_data", None, None, False),
        ("contains_data", MISSING, None, False),
        ("contains_data", 0, None, True),
        ("not_contains_data", MISSING, None, True),
        ("not_contains_data", "x", None, False),
        ("contains", "premium support", "support", True),
        ("contains", ["a", "b"], "b", True),
        ("contains", ["a", "b"], "c", False),
        ("contains", {"k": 1}, "k", True),
        ("contains", 12, 1, False),
    ],
)
def test_operator(op: str, left: Any, right: Any, expected: bool) -> None:
    assert compare(op, left, right) is expected


def test_unknown_operator_raises() -> None:
    with pytest.raises(ValueError, match="unknown operator"):
        compare("like", "a", "b")


def test_nested_all_any_not_on_item_fields() -> None:
    c = cond(
        {
            "all": [
                {
                    "any": [
                        {"field": "attributes.tier", "op": "eq", "value": "gold"},
                        {"field": "priority", "op": "ge", "value": 5},
                    ]
                },
                {"not": {"field": "attributes.blocked", "op": "eq", "value": True}},
            ]
        }
    )
    assert evaluate(c, item_resolver(item(attributes={"tier": "gold"}), NOW))
    assert evaluate(c, item_resolver(item(priority=7), NOW))
    assert not evaluate(c, item_resolver(item(priority=7, attributes={"blocked": True}), NOW))
    assert not evaluate(c, item_resolver(item(priority=1), NOW))


def test_nested_attribute_paths_and_time_fields() -> None:
    it = item(attributes={"customer": {"country": "FR"}}, created_at=NOW - 90, deadline=NOW + 30)
    resolve = item_resolver(it, NOW)
    assert evaluate(
        cond({"field": "attributes.customer.country", "op": "eq", "value": "FR"}), resolve
    )
    assert evaluate(cond({"field": "age_seconds", "op": "ge", "value": 90}), resolve)
    assert evaluate(cond({"field": "seconds_to_deadline", "op": "le", "value": 30}), resolve)
    assert not evaluate(
        cond({"field": "seconds_to_deadline", "op": "le", "value": 30}), item_resolver(item(), NOW)
    )


def test_dynamic_value_from_the_item() -> None:
    c = cond({"field": "attributes.language", "op": "eq", "value": {"item": "attributes.language"}})
    agent_fields = {"attributes.language": "fr"}
    fr, en = item(attributes={"language": "fr"}), item(attributes={"language": "en"})
    assert evaluate(c, agent_fields.__getitem__, item_resolver(fr, NOW))
    assert not evaluate(c, agent_fields.__getitem__, item_resolver(en, NOW))


def test_describe_and_uses_time() -> None:
    c = cond(
        {
            "any": [
                {"field": "age_seconds", "op": "gt", "value": 60},
                {"not": {"field": "x", "op": "contains_data"}},
            ]
        }
    )
    assert describe(c) == "any(age_seconds gt 60, not(x contains_data))"
    assert uses_time(c)
    assert not uses_time(cond({"field": "priority", "op": "gt", "value": 1}))
