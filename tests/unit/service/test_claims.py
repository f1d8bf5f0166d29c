"""Claims: held while a commit is in flight, briefly after it succeeded, never after a
failed one."""

from __future__ import annotations

from router.service.claims import Claims


def test_claims_are_held_in_flight_briefly_after_success_and_dropped_on_failure() -> None:
    now = [100.0]
    claims = Claims(clock=lambda: now[0], hold_s=1.0)
    assert claims.held() == frozenset()
    claims.claim(("a", 1))
    claims.claim(("b", 4))
    now[0] += 60  # however long the commit takes
    assert claims.held() == {("a", 1), ("b", 4)}
    claims.committed(("a", 1))
    claims.release(("b", 4))  # its commit conflicted: others may take it at once
    assert claims.held() == {("a", 1)}
    assert ("a", 3) not in claims.held()  # declined and queued again: a new version
    now[0] += 0.99
    assert claims.held() == {("a", 1)}
    now[0] += 0.02
    assert claims.held() == frozenset()


def test_expired_claims_are_forgotten() -> None:
    now = [0.0]
    claims = Claims(clock=lambda: now[0], hold_s=1.0)
    for n in range(5000):
        claims.claim((f"i{n}", 1))
        claims.committed((f"i{n}", 1))
        now[0] += 0.01
    assert len(claims._until) < 4200  # trimmed as it went, not 5,000
    assert len(claims.held()) <= 101
