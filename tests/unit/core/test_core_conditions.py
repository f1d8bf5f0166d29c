"""Condition evaluation (SPEC M6): every operator, missing fields, dynamic values."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from core_helpers import NOW, item

from router.config.model import Condition
from router.core.conditions import MISSING, compare, describe, evaluate, uses_time
from router.core.resolve import item_condition, item_matches, item_resolver


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


_FIELDS = ("attributes.lang", "attributes.vip", "attributes.n", "attributes.a.b",
           "attributes.tags", "attributes.none", "priority", "channel", "deadline",
           "age_seconds", "seconds_to_deadline", "preferred_agents", "nope")
_VALUES: tuple[Any, ...] = ("en", "fr", True, False, 1, 3, 2.5, None, ["en", "fr"],
                            [1, True], "", [], {"item": "attributes.lang"},
                            {"item": "priority"}, {"item": "attributes.none"})
_OPS = ("eq", "ne", "in", "not_in", "gt", "ge", "lt", "le", "contains_data",
        "not_contains_data", "contains")


def _leaves() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{"field": f, "op": o} for f in _FIELDS
                                 for o in ("contains_data", "not_contains_data")]
    out += [{"field": f, "op": o, "value": v} for f in _FIELDS for o in _OPS
            for v in _VALUES]
    return out


_ITEMS = [
    item(),
    item(priority=3, channel="chat", deadline=NOW + 100, preferred_agents=("a1",),
         attributes={"lang": "en", "vip": True, "n": 1, "a": {"b": "fr"},
                     "tags": ["en", 1], "none": None}),
    item(priority=1, attributes={"lang": "fr", "vip": False, "n": 2.5, "a": "flat",
                                 "tags": "fr-en", "none": "x"}),
    item(attributes={"lang": "", "vip": 1, "n": True, "tags": [], "a": {"b": None}}),
]


def test_compiled_conditions_agree_with_the_evaluator() -> None:
    """Every leaf (field x operator x value, dynamic values included) and the trees
    built from them give what `evaluate` gives, on items with and without the fields."""
    leaves = _leaves()
    trees = [{"all": [leaves[i], leaves[-i - 1]]} for i in range(0, len(leaves), 7)]
    trees += [{"any": [leaves[i], {"not": leaves[i + 3]}]}
              for i in range(0, len(leaves) - 3, 11)]
    for data in leaves + trees + [{"all": []}, {"any": []}]:
        condition = cond(data)
        compiled = item_condition(condition)
        for subject in _ITEMS:
            expected = evaluate(condition, item_resolver(subject, NOW))
            assert compiled(subject, NOW) is expected, (data, subject.attributes)


def test_compiled_conditions_are_kept_per_condition_object() -> None:
    first = cond({"field": "priority", "op": "ge", "value": 3})
    assert item_condition(first) is item_condition(first)
    other = cond({"field": "priority", "op": "ge", "value": 3})
    assert item_condition(other) is not item_condition(first)
    assert item_matches(msgspec.UNSET, item(), NOW)
    assert not item_matches(first, item(priority=1), NOW)
