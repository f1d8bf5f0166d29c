"""Pure evaluation of data conditions (SPEC M6): no eval, no code in config.

Why one evaluator for items and agents: route-to-queue, requirement and
prioritization rules test item fields; assignment rules test agent fields and
may compare them with item fields (dynamic values). Both are "resolve a name to
a value, then apply an operator", so only the resolver differs.

A missing field is the ``MISSING`` sentinel: it equals nothing, is ``ne``
everything, is never greater or smaller, and "does not contain data".
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any, Final, TypeVar

from msgspec import UnsetType

from router.config.model import Condition, ItemRef
from router.core.value_types import COLLECTION_TYPES, NUMBER_TYPES, SIZED_TYPES


class _Missing:
    """Marker for a field that is absent (distinct from an explicit null)."""

    _instance: _Missing | None = None

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final = _Missing()

Resolver = Callable[[str], Any]


def lookup(data: dict[str, Any], path: str) -> Any:
    """``lookup({"a": {"b": 1}}, "a.b") == 1``; ``MISSING`` when any step is absent."""
    current: Any = data
    for part in path.split("."):
        if isinstance(current, dict) and part in current:
            current = current[part]
        else:
            return MISSING
    return current


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, NUMBER_TYPES):
        return None
    return float(value)


def has_data(value: Any) -> bool:
    """ "Contains data": present, not null, not an empty string or collection."""
    if value is MISSING or value is None:
        return False
    return not (isinstance(value, SIZED_TYPES) and not value)


def compare(op: str, left: Any, right: Any) -> bool:
    """Apply operator ``op`` to a field value ``left`` and a condition value ``right``."""
    if op == "eq":
        return left is not MISSING and _equal(left, right)
    if op == "ne":
        return left is MISSING or not _equal(left, right)
    if op == "in":
        return left is not MISSING and _member(left, right)
    if op == "not_in":
        return left is MISSING or not _member(left, right)
    if op in ("gt", "ge", "lt", "le"):
        a, b = _number(left), _number(right)
        if a is None or b is None:
            return False
        if op == "gt":
            return a > b
        if op == "ge":
            return a >= b
        if op == "lt":
            return a < b
        return a <= b
    if op == "contains_data":
        return has_data(left)
    if op == "not_contains_data":
        return not has_data(left)
    if op == "contains":
        if isinstance(left, str) and isinstance(right, str):
            return right in left
        if isinstance(left, COLLECTION_TYPES):
            return any(_equal(x, right) for x in left)
        if isinstance(left, dict):
            return right in left
        return False
    raise ValueError(f"unknown operator {op!r}")


def _equal(left: Any, right: Any) -> bool:
    # bool is an int in Python; True must not equal 1 in routing rules.
    if isinstance(left, bool) != isinstance(right, bool):
        return False
    return bool(left == right)


def _member(left: Any, right: Any) -> bool:
    if not isinstance(right, COLLECTION_TYPES):
        return _equal(left, right)
    return any(_equal(left, r) for r in right)


def evaluate(cond: Condition, subject: Resolver, item: Resolver | None = None) -> bool:
    """Evaluate a condition tree.

    ``subject`` resolves the fields the leaves name (an item or an agent);
    ``item`` resolves dynamic values ``{item: "..."}`` (defaults to ``subject``).
    """
    item_resolver = subject if item is None else item
    return _eval(cond, subject, item_resolver)


def _eval(cond: Condition, subject: Resolver, item: Resolver) -> bool:
    if not isinstance(cond.all, UnsetType):
        return all(_eval(c, subject, item) for c in cond.all)
    if not isinstance(cond.any, UnsetType):
        return any(_eval(c, subject, item) for c in cond.any)
    if not isinstance(cond.not_, UnsetType):
        return not _eval(cond.not_, subject, item)
    if isinstance(cond.field, UnsetType) or isinstance(cond.op, UnsetType):
        return False
    left = subject(cond.field)
    right = resolve_value(cond.value, item)
    return compare(cond.op, left, right)


def resolve_value(value: Any, item: Resolver) -> Any:
    """Static values pass through; ``ItemRef`` is looked up on the item."""
    if isinstance(value, UnsetType):
        return None
    if isinstance(value, ItemRef):
        return item(value.item)
    return value


def leaves(cond: Condition) -> list[Condition]:
    """All leaf conditions of a tree (used to find the one that filtered an agent)."""
    out: list[Condition] = []
    stack = [cond]
    while stack:
        node = stack.pop()
        if not isinstance(node.all, UnsetType):
            stack.extend(reversed(node.all))
        elif not isinstance(node.any, UnsetType):
            stack.extend(reversed(node.any))
        elif not isinstance(node.not_, UnsetType):
            stack.append(node.not_)
        else:
            out.append(node)
    return out


def describe(cond: Condition) -> str:
    """Short human text for a condition, for explanations."""
    if not isinstance(cond.all, UnsetType):
        return "all(" + ", ".join(describe(c) for c in cond.all) + ")"
    if not isinstance(cond.any, UnsetType):
        return "any(" + ", ".join(describe(c) for c in cond.any) + ")"
    if not isinstance(cond.not_, UnsetType):
        return "not(" + describe(cond.not_) + ")"
    value = cond.value
    if isinstance(value, UnsetType):
        return f"{cond.field} {cond.op}"
    if isinstance(value, ItemRef):
        return f"{cond.field} {cond.op} item.{value.item}"
    return f"{cond.field} {cond.op} {value!r}"


def uses_time(cond: Condition) -> bool:
    """True when the condition depends on ``now`` (age / time to deadline, P4)."""
    return any(
        leaf.field in ("age_seconds", "seconds_to_deadline")
        or (
            isinstance(leaf.value, ItemRef)
            and leaf.value.item in ("age_seconds", "seconds_to_deadline")
        )
        for leaf in leaves(cond)
    )


Predicate = Callable[[Resolver], bool]


def bind(cond: Condition, item: Resolver) -> Predicate:
    """Pre-resolve a condition's dynamic values against one item.

    Why: an assignment rule is evaluated against many agents for the same item;
    binding resolves ``{item: ...}`` values and dispatches operators once, so the
    per-agent cost is a few closure calls (see ``benchmarks/core_choose.py``).
    ``bind(c, item)(subject)`` equals ``evaluate(c, subject, item)``.
    """
    if not isinstance(cond.all, UnsetType):
        parts = [bind(c, item) for c in cond.all]

        def all_of(subject: Resolver) -> bool:
            for part in parts:  # noqa: SIM110 - a loop is faster than all()/any() here
                if not part(subject):
                    return False
            return True

        return all_of
    if not isinstance(cond.any, UnsetType):
        parts = [bind(c, item) for c in cond.any]

        def any_of(subject: Resolver) -> bool:
            for part in parts:  # noqa: SIM110 - a loop is faster than all()/any() here
                if part(subject):
                    return True
            return False

        return any_of
    if not isinstance(cond.not_, UnsetType):
        inner = bind(cond.not_, item)
        return lambda subject: not inner(subject)
    if isinstance(cond.field, UnsetType) or isinstance(cond.op, UnsetType):
        return lambda subject: False
    name, op = cond.field, cond.op
    right = resolve_value(cond.value, item)
    if op == "eq" and isinstance(right, str):
        # The most common leaf (static or dynamic string equality), without dispatch.
        return lambda subject: subject(name) == right
    return lambda subject: compare(op, subject(name), right)


T = TypeVar("T")

_NUMERIC: dict[str, Callable[[float, float], bool]] = {
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}


def bind_fields(
    cond: Condition, item: Resolver | None, field: Callable[[str], Callable[[T], Any]]
) -> Callable[[T], bool]:
    """Like ``bind``, with each field name also resolved once, to an accessor.

    Why: an assignment rule is tested against every eligible agent; resolving a
    name like ``attributes.language`` per agent (prefix tests, slicing) costs more
    than the comparison itself. ``field(name)`` returns a function from a subject
    (e.g. an agent) to the value the resolver would give for ``name``, so
    ``bind_fields(c, item, field)(s)`` equals ``evaluate(c, resolver_of(s), item)``.

    With ``item`` None, dynamic values are read from the subject itself through
    ``field``: the form for conditions on items (routes, requirements, priorities),
    compiled once per condition rather than bound per item.
    """
    if not isinstance(cond.all, UnsetType):
        parts = [bind_fields(c, item, field) for c in cond.all]
        if len(parts) == 2:  # the common "this and that", without a loop
            first, second = parts
            return lambda subject: first(subject) and second(subject)

        def all_of(subject: T) -> bool:
            for part in parts:  # noqa: SIM110 - a loop is faster than all()/any() here
                if not part(subject):
                    return False
            return True

        return all_of
    if not isinstance(cond.any, UnsetType):
        parts = [bind_fields(c, item, field) for c in cond.any]
        if len(parts) == 2:
            one, other = parts
            return lambda subject: one(subject) or other(subject)

        def any_of(subject: T) -> bool:
            for part in parts:  # noqa: SIM110 - a loop is faster than all()/any() here
                if part(subject):
                    return True
            return False

        return any_of
    if not isinstance(cond.not_, UnsetType):
        inner = bind_fields(cond.not_, item, field)
        return lambda subject: not inner(subject)
    if isinstance(cond.field, UnsetType) or isinstance(cond.op, UnsetType):
        return lambda subject: False
    get, op, value = field(cond.field), cond.op, cond.value
    if item is None:
        if isinstance(value, ItemRef):
            other = field(value.item)
            return lambda subject: compare(op, get(subject), other(subject))
        right = None if isinstance(value, UnsetType) else value
    else:
        right = resolve_value(value, item)
    if op == "eq" and isinstance(right, str):
        # MISSING and non-strings never equal a string, as in ``compare``.
        return lambda subject: get(subject) == right
    if op == "eq" and isinstance(right, bool):  # True and False are singletons
        return lambda subject: get(subject) is right
    if op in _NUMERIC:
        bound = _number(right)
        if bound is None:
            return lambda subject: False
        test = _NUMERIC[op]

        def numeric(subject: T) -> bool:
            value = get(subject)
            if isinstance(value, bool) or not isinstance(value, NUMBER_TYPES):
                return False
            return test(float(value), bound)

        return numeric
    return lambda subject: compare(op, get(subject), right)

