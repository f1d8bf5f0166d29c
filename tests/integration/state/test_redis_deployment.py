"""The Redis that `deploy/redis/start.sh` runs (the test stack's own) has the settings the
router's guarantees rest on (deploy/redis/README.md): read from the running server, so a
config file that stops being loaded, or a setting the command line overrides, shows here.
(A stack kept running from before a change of redis.conf still has the old settings.)"""

from __future__ import annotations

import redis

from tests.integration.stack import Stack


def test_the_deployed_redis_logs_every_write_evicts_nothing_and_forks_no_snapshots(
    stack: Stack,
) -> None:
    client = redis.Redis.from_url(stack.redis_url, decode_responses=True)
    try:
        config = {name: client.config_get(name)[name] for name in
                  ("appendonly", "appendfsync", "maxmemory-policy", "save",
                   "auto-aof-rewrite-min-size")}
    finally:
        client.close()
    assert config == {
        "appendonly": "yes", "appendfsync": "everysec", "maxmemory-policy": "noeviction",
        "save": "", "auto-aof-rewrite-min-size": str(512 * 1024 * 1024)}
