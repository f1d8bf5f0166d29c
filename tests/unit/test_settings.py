from __future__ import annotations

from pathlib import Path

import pytest

from router.settings import Settings, SettingsError


def test_defaults_point_at_the_local_stack() -> None:
    settings = Settings.from_env({})
    assert settings.kafka_bootstrap == "127.0.0.1:9092"
    assert settings.redis_url == "redis://127.0.0.1:6379/0"
    assert settings.topic_prefix == "router."
    assert settings.config_path is None


def test_environment_overrides_round_trip_through_to_env() -> None:
    env = {
        "ROUTER_KAFKA_BOOTSTRAP": "k:1",
        "ROUTER_REDIS_URL": "redis://r:2/0",
        "ROUTER_TOPIC_PREFIX": "x.",
        "ROUTER_TOPIC_PARTITIONS": "12",
        "ROUTER_CONFIG": "/etc/router.yaml",
    }
    settings = Settings.from_env(env)
    assert settings.topic_partitions == 12
    assert settings.config_path == Path("/etc/router.yaml")
    assert Settings.from_env(settings.to_env()) == settings


@pytest.mark.parametrize(
    ("value", "reason"), [("many", "not an integer"), ("0", "must be at least 1")]
)
def test_a_bad_partition_count_is_named(value: str, reason: str) -> None:
    with pytest.raises(SettingsError, match=f"ROUTER_TOPIC_PARTITIONS.*{reason}"):
        Settings.from_env({"ROUTER_TOPIC_PARTITIONS": value})


def test_batch_settings_round_trip_and_refuse_out_of_range() -> None:
    settings = Settings.from_env({"ROUTER_BATCH_MAX": "64", "ROUTER_BATCH_WAIT_MS": "3",
                                  "ROUTER_BATCHES_IN_FLIGHT": "2"})
    assert (settings.batch_max, settings.batch_wait_ms, settings.batches_in_flight) == (64, 3, 2)
    assert Settings.from_env(settings.to_env()) == settings
    defaults = Settings()
    assert (defaults.batch_max, defaults.batch_wait_ms, defaults.batches_in_flight) == (500, 0, 5)
    with pytest.raises(SettingsError, match="ROUTER_BATCHES_IN_FLIGHT=0: must be at least 1"):
        Settings.from_env({"ROUTER_BATCHES_IN_FLIGHT": "0"})
    with pytest.raises(SettingsError, match="ROUTER_BATCH_WAIT_MS=-1: must be at least 0"):
        Settings.from_env({"ROUTER_BATCH_WAIT_MS": "-1"})
    with pytest.raises(SettingsError, match="ROUTER_BATCH_MAX=0: must be at least 1"):
        Settings.from_env({"ROUTER_BATCH_MAX": "0"})


@pytest.mark.parametrize(("url", "reason"), [
    ("redis://h:6379/0?socket_timeout=0", "socket_timeout=0: must be a positive number"),
    ("redis://h:6379/0?socket_timeout=-1", "socket_timeout=-1: must be a positive number"),
    ("redis://h:6379/0?socket_connect_timeout=soon", "socket_connect_timeout=soon: must be"),
    ("redis://h:6379/0?socket_timeout=inf", "socket_timeout=inf: must be a positive"),
    ("http://h:6379/0", "scheme 'http': must be one of redis, rediss, unix"),
])
def test_a_redis_url_that_could_never_work_is_refused_at_start(url: str, reason: str) -> None:
    # A timeout of 0 made every call time out at once: a worker retried for ever.
    with pytest.raises(SettingsError, match=f"^ROUTER_REDIS_URL: {reason}") as refused:
        Settings.from_env({"ROUTER_REDIS_URL": url.replace("h:", "user:secret@h:")})
    assert "secret" not in str(refused.value)


def test_redis_urls_with_usable_timeouts_pass() -> None:
    for url in ("redis://h:6379/0?socket_timeout=0.5&socket_connect_timeout=2",
                "rediss://h:6380/1", "unix:///run/redis.sock?db=0", "redis://h/0?health_check_interval=0"):
        assert Settings.from_env({"ROUTER_REDIS_URL": url}).redis_url == url
