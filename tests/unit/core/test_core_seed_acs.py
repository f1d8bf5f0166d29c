"""Worked examples of the ACS distribution-modes reference, with its numbers."""

from __future__ import annotations

from core_helpers import MIN, NOW, agent, item, queue, workstream

from router.core import Offer, decide_for_item, rank_agents
from router.core.scoring import match_score
from router.core.types import Selector


def test_longest_idle_orders_by_load_ratio_then_longest_available() -> None:
    agents = [
        agent("A", total_units=5, used_units=3, available_since=NOW - 5 * MIN),
        agent("B", total_units=4, used_units=3, available_since=NOW - 3 * MIN),
        agent("C", total_units=5, used_units=3, available_since=NOW - 7 * MIN),
        agent("D", total_units=3, used_units=0, available_since=NOW - 2 * MIN),
    ]
    ranking = rank_agents(item(), queue("longest_idle"), workstream(), agents, NOW)
    assert [a.id for a, _ in ranking.ordered] == ["D", "C", "A", "B"]
    assert [key[1] for _, key in ranking.ordered] == [0.0, 0.6, 0.6, 0.75]
    decision = decide_for_item(item(), queue("longest_idle"), workstream(), agents, NOW)
    assert isinstance(decision, Offer)
    assert decision.agent.id == "D"
    assert decision.explanation.runner_up == "C"


def _label_agents(b_since: float, c_since: float) -> list:  # type: ignore[type-arg]
    return [
        agent("A", attributes={"language": "english", "department": "sales"}),
        agent("B", attributes={"language": "english"}, available_since=b_since),
        agent(
            "C",
            attributes={"language": "english", "department": "support"},
            available_since=c_since,
        ),
    ]


def test_label_match_scores_and_tie_to_longest_available() -> None:
    job = item(attributes={"language": "english", "department": "sales"})
    q = queue("best_worker")
    ranking = rank_agents(job, q, workstream(), _label_agents(NOW - 9 * MIN, NOW - 4 * MIN), NOW)
    assert ranking.ranker is not None
    scores = {a.id: ranking.ranker.score(a) for a, _ in ranking.ordered}
    assert scores == {"A": 1.0, "B": 0.5, "C": 0.5}
    assert [a.id for a, _ in ranking.ordered] == ["A", "B", "C"]
    # Swap who has been available longer: C now precedes B.
    ranking = rank_agents(job, q, workstream(), _label_agents(NOW - 4 * MIN, NOW - 9 * MIN), NOW)
    assert [a.id for a, _ in ranking.ordered] == ["A", "C", "B"]


def test_worker_selector_scores() -> None:
    selectors = (
        Selector(key="department", op="eq", value="billing", required=False),
        Selector(key="segment", op="ne", value="vip", required=False),
    )
    job = item(selectors=selectors)
    agents = [
        agent(
            "D", attributes={"department": "billing", "segment": "vip"}, available_since=NOW - 60
        ),
        agent("E", attributes={"department": "billing"}, available_since=NOW - 10),
        agent("F", attributes={"department": "sales", "segment": "new"}, available_since=NOW - 30),
    ]
    assert [match_score(a, selectors, {}) for a in agents] == [0.5, 1.0, 0.5]
    ranking = rank_agents(job, queue("best_worker"), workstream(), agents, NOW)
    assert [a.id for a, _ in ranking.ordered] == ["E", "D", "F"]


def test_logistic_term_for_magnitude_selectors() -> None:
    selectors = (
        Selector(key="language", op="eq", value="french"),
        Selector(key="sales", op="ge", value=10),
        Selector(key="cost", op="le", value=10),
    )
    job = item(selectors=selectors)
    agents = [
        agent("G", attributes={"language": "french", "sales": 10, "cost": 10}),
        agent("H", attributes={"language": "french", "sales": 15, "cost": 10}),
        agent("I", attributes={"language": "french", "sales": 10, "cost": 9}),
    ]
    scores = {a.id: round(match_score(a, selectors, {}), 3) for a in agents}
    assert scores == {"G": 0.667, "H": 0.707, "I": 0.675}
    decision = decide_for_item(job, queue("best_worker"), workstream(), agents, NOW)
    assert isinstance(decision, Offer)
    assert decision.agent.id == "H"
    assert decision.explanation.runner_up == "I"
    assert round(decision.explanation.winner_score or 0, 3) == 0.707
    ranking = rank_agents(job, queue("best_worker"), workstream(), agents, NOW)
    assert [a.id for a, _ in ranking.ordered] == ["H", "I", "G"]


def test_required_magnitude_selector_filters_agents_below_it() -> None:
    job = item(selectors=(Selector(key="sales", op="ge", value=10),))
    agents = [agent("low", attributes={"sales": 9}), agent("ok", attributes={"sales": 10})]
    ranking = rank_agents(job, queue("best_worker"), workstream(), agents, NOW)
    assert [a.id for a, _ in ranking.ordered] == ["ok"]
    assert ranking.filtered == {"selector:sales ge 10": 1}
