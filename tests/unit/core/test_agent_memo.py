"""The agent memo changes no decision: runs of item decisions over charged views, with
and without it, give identical offers, skips and explanations (agent_memo.py)."""

from __future__ import annotations

from typing import Any

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from router.config.model import Queue, Workstream
from router.core.agent_memo import AgentMemo, ViewRanks
from router.core.capacity import consume
from router.core.decide import ChargedView, decide_for_item, decide_for_queue
from router.core.decision import Offer
from router.core.eligibility import make_context
from router.core.policy import Policy
from router.core.types import AgentState, WorkItem
from tests.unit.core.test_core_properties import NOW, agents_st, config_st, item_st


def _encoded(decision: Any) -> bytes:
    return msgspec.json.encode(decision)


@settings(max_examples=300, deadline=None)
@given(agents_st(), st.lists(item_st(with_preferred=True), min_size=1, max_size=6),
       config_st(), st.integers(0, 3))
def test_a_run_of_decisions_is_the_same_with_the_memo(
    agents: list[AgentState], items: list[WorkItem], cfg: Any, rounds: int
) -> None:
    queue, ws, policy = cfg
    memo = AgentMemo()
    # Several views in a row share one memo, as the flushes of a worker do; between
    # them the same snapshots come back, except the agents a view charged.
    for _ in range(rounds + 1):
        plain = {a.id: a for a in agents}
        remembered = ChargedView(agents, memo)
        for item in items:
            expected = decide_for_item(item, queue, ws, list(plain.values()), NOW, policy)
            if isinstance(expected, Offer):
                plain[expected.agent.id] = consume(expected.agent, ws.capacity, queue.id, NOW)
            got = remembered.decide(item, queue, ws, NOW, policy)
            assert _encoded(got) == _encoded(expected)


@settings(max_examples=200, deadline=None)
@given(agents_st(), item_st(), config_st())
def test_a_remembered_decision_matches_a_fresh_one(
    agents: list[AgentState], item: WorkItem, cfg: Any
) -> None:
    queue, ws, policy = cfg
    memo = AgentMemo()
    first = decide_for_item(item, queue, ws, agents, NOW, policy, _view(agents, memo))
    again = decide_for_item(item, queue, ws, agents, NOW, policy, _view(agents, memo))
    fresh = decide_for_item(item, queue, ws, agents, NOW, policy)
    assert _encoded(first) == _encoded(fresh) == _encoded(again)


@settings(max_examples=200, deadline=None)
@given(agents_st(), st.lists(item_st(), min_size=1, max_size=12), config_st())
def test_a_queue_cycle_is_the_same_as_deciding_each_item_in_turn(
    agents: list[AgentState], items: list[WorkItem], cfg: Any
) -> None:
    """decide_for_queue keeps ranks up to date as it charges agents (ViewRanks); the
    same run of plain decisions, charging by hand, must agree item for item."""
    queue, ws, policy = cfg
    plain = {a.id: a for a in agents}
    unique = list({i.id: i for i in items}.values())
    got = decide_for_queue(queue, {ws.id: ws}, unique, agents, NOW, policy,
                           block_size=len(unique))
    ordered = [d.item for d in got]
    for item, decision in zip(ordered, got, strict=True):
        expected = decide_for_item(item, queue, ws, list(plain.values()), NOW, policy)
        if isinstance(expected, Offer):
            plain[expected.agent.id] = consume(expected.agent, ws.capacity, queue.id, NOW)
        assert _encoded(decision) == _encoded(expected)


def _view(agents: list[AgentState], memo: AgentMemo) -> ViewRanks:
    """What one read of the agents gives a decision: a fresh view over the shared memo."""
    return ViewRanks({a.id: a for a in agents}, memo)


def _agent(n: int, **changes: Any) -> AgentState:
    return AgentState(id=f"a{n}", presence="available", total_units=10, queues=("q",),
                      **changes)


def test_a_changed_snapshot_is_evaluated_again() -> None:
    queue = msgspec.convert({"id": "q", "assignment": {"method": "longest_idle"}}, Queue)
    ws = msgspec.convert({"id": "ws", "channel": "messaging",
                          "capacity": {"units": 5}}, Workstream)
    policy = Policy()
    item = WorkItem(id="i", workstream="ws")
    memo = AgentMemo()
    roomy, other = _agent(1, available_since=NOW - 10), _agent(2, available_since=NOW - 5)
    first = decide_for_item(item, queue, ws, [roomy, other], NOW, policy,
                            _view([roomy, other], memo))
    assert isinstance(first, Offer) and first.agent.id == "a1"
    # Same id, new snapshot with no room left: the memo must not serve the old entry.
    full = _agent(1, available_since=NOW - 10, used_units=10)
    second = decide_for_item(item, queue, ws, [full, other], NOW, policy,
                             _view([full, other], memo))
    assert isinstance(second, Offer) and second.agent.id == "a2"
    assert second.explanation.filtered == {"unit_capacity": 1}


def test_items_with_declines_or_item_dependent_methods_are_not_remembered() -> None:
    ws = msgspec.convert({"id": "ws", "channel": "messaging"}, Workstream)
    memo = AgentMemo()
    plain = msgspec.convert({"id": "q", "assignment": {"method": "round_robin"}}, Queue)
    best = msgspec.convert({"id": "q", "assignment": {"method": "best_worker"}}, Queue)
    declined = WorkItem(id="i", workstream="ws", declines={"a1": 1})
    fresh = WorkItem(id="i", workstream="ws")
    policy = Policy()
    agents = [_agent(1)]
    assert memo.entries(make_context(declined, plain, ws, policy, NOW), agents) is None
    assert memo.entries(make_context(fresh, best, ws, policy, NOW), agents) is None
    assert memo.entries(make_context(fresh, plain, ws, policy, NOW), agents) is not None
