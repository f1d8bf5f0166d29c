"""Process settings, read once from the environment.

Everything that differs between a laptop, CI and production (addresses, topic prefix,
partition counts) comes from `ROUTER_*` variables so the same code runs everywhere; the
routing rules themselves live in the routing configuration file, not here.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit


class SettingsError(ValueError):
    """A `ROUTER_*` variable holds a value the router cannot use."""


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r}: not an integer") from None
    if value < minimum:
        raise SettingsError(f"{name}={value}: must be at least {minimum}")
    return value


REDIS_URL_SCHEMES = ("redis", "rediss", "unix")
REDIS_URL_TIMEOUTS = ("socket_timeout", "socket_connect_timeout")


def redis_url_problem(url: str) -> str | None:
    """What is wrong with a Redis URL the router would otherwise find out only at its
    first call, or never: a timeout of 0 makes every call time out at once, so a worker
    retries its input for ever and says only "Timeout". None if nothing is."""
    parts = urlsplit(url)
    if parts.scheme not in REDIS_URL_SCHEMES:
        return f"scheme {parts.scheme!r}: must be one of {', '.join(REDIS_URL_SCHEMES)}"
    for option, values in parse_qs(parts.query).items():
        if option not in REDIS_URL_TIMEOUTS:
            continue
        for raw in values:
            try:
                seconds = float(raw)
            except ValueError:
                seconds = math.nan
            if not (seconds > 0 and math.isfinite(seconds)):
                return f"{option}={raw}: must be a positive number of seconds"
    return None


def _redis_url(env: Mapping[str, str], default: str) -> str:
    url = env.get("ROUTER_REDIS_URL", default)
    problem = redis_url_problem(url)
    if problem:
        raise SettingsError(f"ROUTER_REDIS_URL: {problem}")  # not the URL: it may hold a password
    return url


@dataclass(frozen=True, kw_only=True)
class Settings:
    kafka_bootstrap: str = "127.0.0.1:9092"
    redis_url: str = "redis://127.0.0.1:6379/0"
    topic_prefix: str = "router."
    topic_partitions: int = 4
    topic_replication: int = 1
    topic_retention_ms: int = 7 * 24 * 3600 * 1000
    dead_letter_retention_ms: int = 30 * 24 * 3600 * 1000
    app_id: str = "router"
    config_path: Path | None = None
    max_event_bytes: int = 64 * 1024
    http_address: str = "127.0.0.1:9108"
    sweep_interval_ms: int = 1000
    queue_sweep_ms: int = 5000
    batch_max: int = 500
    """Most input records of one topic handled together (concurrently across keys)."""
    batch_wait_ms: int = 0
    """How long a batch stays open for more records after its first arrived; 0 takes
    the records already there, so batches grow only while earlier ones are handled."""
    batches_in_flight: int = 5
    """Batches of one input topic handled at once (acknowledged in order): while one
    waits on Redis, the next is decided, and the ones after it decoded. 5 rather than 3
    since a full Redis write goes out at once (scripts.py): the worker then has more
    to overlap; as fast as possible 7,735 against 7,056 items/s (medians of 7 and 5
    runs alternated, `router bench --items 20000`), latency at fixed rates unchanged."""

    def to_env(self) -> dict[str, str]:
        """The variables that make a child process (a worker, the demo) see these settings."""
        env = {
            "ROUTER_KAFKA_BOOTSTRAP": self.kafka_bootstrap,
            "ROUTER_REDIS_URL": self.redis_url,
            "ROUTER_TOPIC_PREFIX": self.topic_prefix,
            "ROUTER_TOPIC_PARTITIONS": str(self.topic_partitions),
            "ROUTER_TOPIC_REPLICATION": str(self.topic_replication),
            "ROUTER_TOPIC_RETENTION_MS": str(self.topic_retention_ms),
            "ROUTER_DEAD_LETTER_RETENTION_MS": str(self.dead_letter_retention_ms),
            "ROUTER_APP_ID": self.app_id,
            "ROUTER_MAX_EVENT_BYTES": str(self.max_event_bytes),
            "ROUTER_HTTP_ADDRESS": self.http_address,
            "ROUTER_SWEEP_INTERVAL_MS": str(self.sweep_interval_ms),
            "ROUTER_QUEUE_SWEEP_MS": str(self.queue_sweep_ms),
            "ROUTER_BATCH_MAX": str(self.batch_max),
            "ROUTER_BATCH_WAIT_MS": str(self.batch_wait_ms),
            "ROUTER_BATCHES_IN_FLIGHT": str(self.batches_in_flight),
        }
        if self.config_path is not None:
            env["ROUTER_CONFIG"] = str(self.config_path)
        return env

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        config = env.get("ROUTER_CONFIG")
        return cls(
            kafka_bootstrap=env.get("ROUTER_KAFKA_BOOTSTRAP", cls.kafka_bootstrap),
            redis_url=_redis_url(env, cls.redis_url),
            topic_prefix=env.get("ROUTER_TOPIC_PREFIX", cls.topic_prefix),
            topic_partitions=_int(env, "ROUTER_TOPIC_PARTITIONS", cls.topic_partitions, 1),
            topic_replication=_int(env, "ROUTER_TOPIC_REPLICATION", cls.topic_replication, 1),
            topic_retention_ms=_int(env, "ROUTER_TOPIC_RETENTION_MS", cls.topic_retention_ms, -1),
            dead_letter_retention_ms=_int(
                env, "ROUTER_DEAD_LETTER_RETENTION_MS", cls.dead_letter_retention_ms, -1
            ),
            app_id=env.get("ROUTER_APP_ID", cls.app_id),
            config_path=Path(config) if config else None,
            max_event_bytes=_int(env, "ROUTER_MAX_EVENT_BYTES", cls.max_event_bytes, 1024),
            http_address=env.get("ROUTER_HTTP_ADDRESS", cls.http_address),
            sweep_interval_ms=_int(env, "ROUTER_SWEEP_INTERVAL_MS", cls.sweep_interval_ms, 10),
            queue_sweep_ms=_int(env, "ROUTER_QUEUE_SWEEP_MS", cls.queue_sweep_ms, 0),
            batch_max=_int(env, "ROUTER_BATCH_MAX", cls.batch_max, 1),
            batch_wait_ms=_int(env, "ROUTER_BATCH_WAIT_MS", cls.batch_wait_ms, 0),
            batches_in_flight=_int(env, "ROUTER_BATCHES_IN_FLIGHT", cls.batches_in_flight, 1),
        )
