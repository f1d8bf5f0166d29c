from __future__ import annotations

import pytest

from router.state import keys


def test_keys_carry_the_tenant_as_a_cluster_hash_tag() -> None:
    assert keys.work_item("acme", "42") == "router:{acme}:item:42"
    assert "{acme}" in keys.seen_events("acme")


@pytest.mark.parametrize("tenant", ["", "a{b", "a}b"])
def test_a_tenant_that_would_break_the_hash_tag_is_refused(tenant: str) -> None:
    with pytest.raises(ValueError, match="tenant"):
        keys.work_item(tenant, "1")
