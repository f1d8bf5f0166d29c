"""The options every example shares: where Kafka is, the topic prefix and the tenant.

Defaults come from the same ROUTER_* variables the router reads, so an example started
next to `make run` finds it without options.
"""

from __future__ import annotations

import argparse
import os

from router.settings import Settings


def connection_parser(description: str, epilog: str) -> argparse.ArgumentParser:
    settings = Settings.from_env()
    parser = argparse.ArgumentParser(description=description, epilog=epilog)
    parser.add_argument(
        "--bootstrap",
        default=settings.kafka_bootstrap,
        help="Kafka bootstrap servers (default: ROUTER_KAFKA_BOOTSTRAP, %(default)s)",
    )
    parser.add_argument(
        "--topic-prefix",
        default=settings.topic_prefix,
        help="topic name prefix (default: ROUTER_TOPIC_PREFIX, %(default)s)",
    )
    parser.add_argument(
        "--tenant",
        default=os.environ.get("ROUTER_TENANT", "acme"),
        help="tenant id (default: ROUTER_TENANT or %(default)s)",
    )
    return parser
