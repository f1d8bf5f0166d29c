"""Output events, built so that the same cause always yields the same events.

Every output's id is derived from the id of what caused it (an input event, or a commit
derived from one) with `derive_id`, and its time is the cause's time, so handling a
redelivered event produces byte-identical outputs (invariant 4, docs/design.md).
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from router.contract import outputs as o
from router.contract.envelope import SCHEMA_VERSION, Event
from router.contract.ids import derive_id
from router.core.decision import Explanation, Offer
from router.core.value_types import SCALAR_TYPES


def utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


class Outputs:
    """Collects the output events caused by one cause (an input event or a commit)."""

    def __init__(self, cause_id: str, tenant: str, time: datetime, config_version: str) -> None:
        self.cause_id = cause_id
        self.tenant = tenant
        self.time = time
        self.config_version = config_version
        self.events: list[Event[Any]] = []
        self._counts: Counter[str] = Counter()

    def add(self, cls: type[Event[Any]], subject: str, data: Any) -> None:
        kind = cls.__struct_config__.tag
        assert isinstance(kind, str)
        index = self._counts[kind]
        self._counts[kind] += 1
        self.events.append(cls(
            id=derive_id(self.cause_id, kind, index),
            tenant=self.tenant,
            time=self.time,
            source="router",
            subject=subject,
            schema_version=SCHEMA_VERSION,
            data=data,
        ))


def explanation(expl: Explanation, agent_id: str) -> o.Explanation:
    winner = o.Candidate(agent_id=expl.winner or agent_id, keys=_keys(expl.winner_key))
    runner_up = (
        o.Candidate(agent_id=expl.runner_up, keys=_keys(expl.runner_up_key))
        if expl.runner_up
        else None
    )
    return o.Explanation(
        rule=expl.rule,
        candidates_considered=expl.candidates,
        filtered=dict(expl.filtered),
        winner=winner,
        runner_up=runner_up,
    )


def _keys(keys: list[Any] | None) -> list[Any]:
    return [k if isinstance(k, SCALAR_TYPES) or k is None else str(k)
            for k in keys or []]


def offer_outputs(out: Outputs, offer: Offer, offer_id: str) -> None:
    """What a committed decision announces: an offer, or for direct assignment (C2
    offer mode `direct`) the assignment itself."""
    if offer.mode == "direct" or offer.expires_at is None:
        out.add(o.AssignmentCreated, offer.item.id, o.AssignmentCreatedData(
            assignment_id=offer_id,
            agent_id=offer.agent.id,
            queue=offer.queue,
            via="direct",
            offer_id=None,
            capacity_units=offer.units,
            capacity_profiles=dict.fromkeys(offer.profiles, 1),
            config_version=out.config_version,
        ))
        return
    out.add(o.OfferIssued, offer.item.id, o.OfferIssuedData(
        offer_id=offer_id,
        agent_id=offer.agent.id,
        queue=offer.queue,
        deadline=utc(offer.expires_at),
        explanation=explanation(offer.explanation, offer.agent.id),
        config_version=out.config_version,
    ))
