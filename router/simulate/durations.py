"""Durations in scenario files: plain seconds or a number with a unit ("90s", "15m", "8h",
"1h30m"), because staffing plans are written in minutes and hours, not seconds."""

from __future__ import annotations

import math
import re
from typing import Any

_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
HINT = 'use seconds (a number) or a string such as "90s", "15m", "8h", "1h30m"'


class Seconds(float):
    """A duration in seconds, written in a scenario as a number or with units."""


def parse_duration(value: Any) -> Seconds:
    """Seconds from a number or a unit string; ValueError saying what is wrong otherwise."""
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r}; {HINT}")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ValueError(f"a duration must be a finite number of seconds, not {value}")
        if value < 0:
            raise ValueError(f"a duration cannot be negative ({value})")
        return Seconds(value)
    if isinstance(value, str):
        text = value.strip().replace(" ", "")
        parts = list(_PART.finditer(text))
        if parts and "".join(p.group(0) for p in parts) == text:
            return Seconds(sum(float(p.group(1)) * _UNIT[p.group(2)] for p in parts))
    raise ValueError(f"not a duration: {value!r}; {HINT}")


def format_duration(seconds: float) -> str:
    """Compact h/m/s text for reports and progress lines."""
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{secs:02d}s"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{seconds:.3g}s" if seconds < 10 else f"{secs}s"
