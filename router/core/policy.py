"""Tenant-wide settings the core needs alongside a queue and a workstream.

Why a small struct: decline limit (O2), the custom-presence map (M1), default
profile limits (M2) and the config version (B4) are per tenant, not per queue;
the shell builds one ``Policy`` per tenant when it (re)loads the config.
"""

from __future__ import annotations

from msgspec import Struct

from router.config.model import BASE_PRESENCES, Tenant

#: An item declined by this many distinct agents leaves auto-assignment (O2).
MAX_DISTINCT_DECLINES = 100


class Policy(Struct, frozen=True, kw_only=True):
    """Per-tenant routing policy."""

    decline_limit: int = 3
    presence_map: dict[str, str] = {}
    profile_defaults: dict[str, int] = {}
    config_version: int | None = None
    max_distinct_declines: int = MAX_DISTINCT_DECLINES
    requeue_limit: int = 3

    @classmethod
    def from_tenant(cls, tenant: Tenant, config_version: int | None = None) -> Policy:
        """Build the policy of one configured tenant."""
        return cls(
            decline_limit=tenant.decline_limit,
            requeue_limit=tenant.requeue_limit,
            presence_map=dict(tenant.presence),
            profile_defaults={p.name: p.max_items for p in tenant.capacity_profiles},
            config_version=config_version,
        )

    def base_presence(self, status: str) -> str:
        """Map a custom status to its base status (M1); unknown statuses are offline."""
        if status in BASE_PRESENCES:
            return status
        return self.presence_map.get(status, "offline")


DEFAULT_POLICY = Policy()
