"""Claims: held while a commit is in flight, briefly after it succeeded, never after a
failed one."""

from __future__ import annotations

from router.service.claims import Claims


def test_claims_are_held_in_flight_briefly_after_success_and_dropped_on_failure() -> None:
    now = [100.0]
    claims = Claims(clock=lambda: now[0], hold_s=1.0)
    assert claims.held() == frozenset()
    claims.claim("a")
    claims.claim("b")
    now[0] += 60  # however long the commit takes
    assert claims.held() == {"a", "b"}
    claims.committed("a")
    claims.release("b")  # its commit conflicted: others may take it at once
    assert claims.held() == {"a"}
    now[0] += 0.99
    assert claims.held() == {"a"}
    now[0] += 0.02
    assert claims.held() == frozenset()


def test_expired_claims_are_forgotten() -> None:
    now = [0.0]
    claims = Claims(clock=lambda: now[0], hold_s=1.0)
    for n in range(5000):
        claims.claim(f"i{n}")
        claims.committed(f"i{n}")
        now[0] += 0.01
    assert len(claims._until) < 4200  # trimmed as it went, not 5,000
    assert len(claims.held()) <= 101
