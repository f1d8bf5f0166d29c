"""ACS "best worker" default scoring (SPEC M4), as the ACS reference describes it.

Why: without a custom scoring rule, ACS ranks workers by how well their labels
match the job. With worker selectors on the job, each selector adds to the score:
equality-type operators add 1 when they match; magnitude operators add the
logistic term 1 / (1 + e^-x), x being the relative margin by which the worker's
label beats the selector value. Without selectors, each job label the worker
shares adds 1. The sum is divided by the number of selectors (or labels), so a
score is always between 0 and 1.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from router.config.model import BestWorkerParams
from router.core.conditions import MISSING, compare, lookup
from router.core.types import AgentState, Selector, WorkItem
from router.core.value_types import NUMBER_TYPES, SCALAR_TYPES

_GREATER = frozenset({"gt", "ge"})
_LESS = frozenset({"lt", "le"})


def logistic(x: float) -> float:
    """1 / (1 + e^-x), numerically safe for large |x|."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, NUMBER_TYPES):
        return None
    return float(value)


def selector_score(agent: AgentState, selector: Selector) -> float:
    """Contribution of one selector to the agent's match score (0..1)."""
    label = lookup(agent.attributes, selector.key)
    if selector.op in _GREATER or selector.op in _LESS:
        have, want = _num(label), _num(selector.value)
        if have is None or want is None:
            return 0.0
        margin = have - want if selector.op in _GREATER else want - have
        # ACS divides by the selector value; with a zero value use the raw margin.
        x = margin / abs(want) if want != 0 else margin
        return logistic(x)
    return 1.0 if compare(selector.op, label, selector.value) else 0.0


def job_labels(item: WorkItem, params: BestWorkerParams) -> dict[str, Any]:
    """The job's labels: the configured item fields, or every scalar attribute."""
    if params.label_fields:
        labels: dict[str, Any] = {}
        for name in params.label_fields:
            key = name.removeprefix("attributes.")
            value = lookup(item.attributes, key)
            if value is not MISSING:
                labels[key] = value
        return labels
    return {
        k: v
        for k, v in item.attributes.items()
        if isinstance(v, SCALAR_TYPES) or v is None
    }


def label_score(agent: AgentState, labels: dict[str, Any]) -> float:
    """Share of job labels the worker has with the same value."""
    if not labels:
        return 0.0
    matched = sum(1 for k, v in labels.items() if compare("eq", lookup(agent.attributes, k), v))
    return matched / len(labels)


def match_score(
    agent: AgentState,
    selectors: Sequence[Selector],
    labels: dict[str, Any],
) -> float:
    """The ACS default match score of one worker for one job."""
    if selectors:
        return sum(selector_score(agent, s) for s in selectors) / len(selectors)
    return label_score(agent, labels)


Scorer = Callable[[AgentState], float]


_MAGNITUDE, _STR_EQ, _OTHER = 0, 1, 2


def make_scorer(selectors: Sequence[Selector], labels: dict[str, Any]) -> Scorer:
    """``match_score`` specialised for one job, for scoring many workers fast.

    With selectors, the per-selector work is prepared once and the score is summed
    in one loop, in selector order (so the float sum equals ``match_score``'s).
    """
    if selectors:
        # (kind, path, simple path, op, wanted value, sign, scale, memo). The memo of
        # a magnitude selector maps a label value to its logistic term: agents
        # share few distinct values. Numbers equal as dict keys (1 and 1.0) give
        # the same term, and bools never reach it.
        specs: list[tuple[int, str, bool, str, Any, float, float, dict[Any, float]]] = []
        for sel in selectors:
            path, op, want = sel.key, sel.op, sel.value
            simple = "." not in path
            if op in _GREATER or op in _LESS:
                wanted = _num(want)
                if wanted is None:
                    continue  # never scores, but still counts below
                sign = 1.0 if op in _GREATER else -1.0
                scale = abs(wanted) if wanted else 1.0
                specs.append((_MAGNITUDE, path, simple, op, wanted, sign, scale, {}))
            elif op == "eq" and isinstance(want, str):
                specs.append((_STR_EQ, path, simple, op, want, 1.0, 1.0, {}))
            else:
                specs.append((_OTHER, path, simple, op, want, 1.0, 1.0, {}))
        count = float(len(selectors))
        exp = math.exp

        def by_selectors(agent: AgentState) -> float:
            attrs = agent.attributes
            total = 0.0
            for kind, path, simple, op, want, sign, scale, memo in specs:
                have = attrs.get(path, MISSING) if simple else lookup(attrs, path)
                if kind == _MAGNITUDE:
                    cls = type(have)
                    if cls is not int and cls is not float and (
                        isinstance(have, bool) or not isinstance(have, NUMBER_TYPES)
                    ):
                        continue  # not a number: scores 0
                    term = memo.get(have)
                    if term is None:
                        x = sign * (have - want) / scale
                        # logistic(x), inlined
                        if x >= 0:
                            term = 1.0 / (1.0 + exp(-x))
                        else:
                            z = exp(x)
                            term = z / (1.0 + z)
                        memo[have] = term
                    total += term
                elif kind == _STR_EQ:
                    if have == want:  # as compare("eq", have, want) for a string want
                        total += 1.0
                elif compare(op, have, want):
                    total += 1.0
            return total / count

        return by_selectors
    if not labels:
        return lambda agent: 0.0
    pairs = list(labels.items())
    total = float(len(pairs))

    def by_labels(agent: AgentState) -> float:
        attrs = agent.attributes
        return sum(1 for k, v in pairs if compare("eq", lookup(attrs, k), v)) / total

    return by_labels
