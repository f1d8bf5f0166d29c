"""Summaries of one measured phase: how many arrived, how fast, and how late."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from router.demo.stats import percentile

STAGES = ("publish to handling", "handling to published offer", "published offer to receipt")
"""Where a routed item's time goes, split at two instants the worker stamps on the offer:
when it began handling the item (the offer's `time`) and when the relay handed the offer
to its producer (the offer record's Kafka timestamp)."""


@dataclass(frozen=True)
class Stage:
    name: str
    p50_s: float
    p99_s: float


@dataclass(frozen=True)
class Phase:
    """Publish-to-receipt figures of one phase (seconds; NaN when nothing arrived)."""

    name: str
    sent: int
    received: int
    span_s: float
    """First publish to last receipt."""
    publish_s: float
    """First publish to last publish: how long the sender needed."""
    p50_s: float
    p90_s: float
    p99_s: float
    max_s: float
    stages: tuple[Stage, ...] = field(default=())
    """The router's STAGES (empty for bare Kafka)."""
    cpu_per_item_s: tuple[tuple[str, float], ...] = field(default=())
    """(process, CPU seconds per item received) over the phase (bench/cpu.py)."""
    input_batch_mean: float = math.nan
    """Work-item records per input batch of the worker over the phase (bench/batches.py)."""
    send_lag_s: float = 0.0
    """How far behind its schedule (first send + n / rate) the sender fell at worst: a
    sender that stalls and catches up sends a burst, which the mean send rate hides."""

    @property
    def lost(self) -> int:
        return self.sent - self.received

    @property
    def throughput(self) -> float:
        """Messages received per second from first publish to last receipt."""
        if self.received == 0 or self.span_s <= 0:
            return math.nan
        return self.received / self.span_s

    @property
    def offered_rate(self) -> float:
        """The rate the sender actually achieved."""
        return self.sent / self.publish_s if self.publish_s > 0 else math.nan


Marks = Mapping[str, tuple[float, float]]
"""Key -> (handling began, offer published), on the clock of `sent` and `received`."""


def summarize(name: str, sent: Mapping[str, float], received: Mapping[str, float],
              marks: Marks | None = None, rate: float | None = None) -> Phase:
    """Latency of every message received (by key), over the messages sent (in the order
    sent, at `rate` per second if paced); with `marks`, also the STAGES of each received
    message that has them."""
    latencies = [received[key] - at for key, at in sent.items() if key in received]
    if sent:
        first, last_sent = min(sent.values()), max(sent.values())
    else:
        first = last_sent = 0.0
    arrivals = [received[key] for key in sent if key in received]
    span = (max(arrivals) - first) if arrivals else math.nan
    return Phase(
        name=name, sent=len(sent), received=len(latencies), span_s=span,
        publish_s=last_sent - first,
        p50_s=percentile(latencies, 50), p90_s=percentile(latencies, 90),
        p99_s=percentile(latencies, 99), max_s=max(latencies) if latencies else math.nan,
        stages=_stages(sent, received, marks) if marks is not None else (),
        send_lag_s=worst_lag(list(sent.values()), rate),
    )


def worst_lag(sent_at: list[float], rate: float | None) -> float:
    """The sender's largest delay behind its schedule; 0 when not paced."""
    if rate is None or not sent_at:
        return 0.0
    start = sent_at[0]
    return max(0.0, *(at - (start + n / rate) for n, at in enumerate(sent_at)))


def _stages(sent: Mapping[str, float], received: Mapping[str, float],
            marks: Marks) -> tuple[Stage, ...]:
    spans: tuple[list[float], list[float], list[float]] = ([], [], [])
    for key, at in sent.items():
        if key in received and key in marks:
            handling, published = marks[key]
            for span, value in zip(spans, (handling - at, published - handling,
                                           received[key] - published), strict=True):
                span.append(value)
    return tuple(Stage(name, percentile(span, 50), percentile(span, 99))
                 for name, span in zip(STAGES, spans, strict=True))
