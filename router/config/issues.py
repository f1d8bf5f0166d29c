"""The one shape every config problem is reported in.

Why a tiny module of its own: the validator, the cross-reference checks and the
CLI all speak ``ConfigIssue`` and must print it the same way (``path: reason``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True, order=True)
class ConfigIssue:
    """One problem: where (``tenants[0].queues[2].id``, ``$`` for the file) and why."""

    path: str
    reason: str


def format_path(parts: Iterable[str | int]) -> str:
    """``["tenants", 0, "queues"]`` -> ``tenants[0].queues`` (``$`` when empty)."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "$"


def format_issue(issue: ConfigIssue) -> str:
    """The line the CLI prints for an issue: ``path: reason``."""
    return f"{issue.path}: {issue.reason}"
