"""One tenant's routing configuration, indexed for the handlers, with its store."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from router.config.model import Queue, RoutingConfig, Tenant, Workstream
from router.core.policy import Policy
from router.service.claims import Claims
from router.service.item_decisions import ItemDecisions
from router.state.store import Store

CANDIDATE_AGENTS = 200
"""Agents of a queue's ready index one item-triggered cycle considers (most room first)."""


@dataclass(frozen=True)
class TenantRouting:
    tenant: Tenant
    policy: Policy
    store: Store
    config_version: str
    workstreams: Mapping[str, Workstream] = field(default_factory=dict)
    queues: Mapping[str, Queue] = field(default_factory=dict)
    block_sizes: Mapping[str, int] = field(default_factory=dict)
    resort_from: dict[str, int] = field(default_factory=dict)
    """Per time-dependent queue, where the next periodic re-sort page starts (P4)."""
    item_decisions: ItemDecisions = field(
        default_factory=lambda: ItemDecisions(CANDIDATE_AGENTS), compare=False, repr=False)
    """Item-triggered decisions due in the same loop turn, made on one read per queue."""
    claims: Claims = field(default_factory=Claims, compare=False, repr=False)
    """Items agent cycles of this process took or are taking (see claims.py)."""

    @property
    def id(self) -> str:
        return self.tenant.id

    @classmethod
    def build(cls, tenant: Tenant, store: Store, config_version: str,
              version_number: int) -> TenantRouting:
        workstreams = {w.id: w for w in tenant.workstreams}
        queues = {q.id: q for q in tenant.queues}
        return cls(
            tenant=tenant,
            policy=Policy.from_tenant(tenant, version_number),
            store=store,
            config_version=config_version,
            workstreams=workstreams,
            queues=queues,
            block_sizes={q: _block_size(q, workstreams.values()) for q in queues},
        )


def _block_size(queue: str, workstreams: Iterable[Workstream]) -> int:
    """A queue's block (P7) is the largest of the workstreams that route into it, so a
    records queue looks at 2,000 items while a chat queue looks at 100."""
    sizes = [w.effective_block_size for w in workstreams if queue in w.target_queues]
    return max(sizes, default=100)


def tenants_of(config: RoutingConfig, stores: Mapping[str, Store],
               config_version: str) -> dict[str, TenantRouting]:
    return {
        tenant.id: TenantRouting.build(tenant, stores[tenant.id], config_version, config.version)
        for tenant in config.tenants
    }
