"""The `router` command line: one entry point for operators, `make run` and the tests."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from router.bench.command import add_parser as add_bench
from router.demo.command import add_parser as add_demo
from router.observability.command import add_parser as add_observability
from router.settings import Settings, SettingsError
from router.simulate.command import add_parser as add_simulate

ENVIRONMENT_HELP = """\
environment:
  ROUTER_KAFKA_BOOTSTRAP    Kafka bootstrap servers          (default 127.0.0.1:9092)
  ROUTER_REDIS_URL          Redis URL                        (default redis://127.0.0.1:6379/0)
                            ?socket_timeout=S: longest wait for a reply before the
                            connection is dropped and the calls retried (default 10)
  ROUTER_TOPIC_PREFIX       prefix of every topic            (default router.)
  ROUTER_TOPIC_PARTITIONS   partitions of each topic         (default 4)
  ROUTER_TOPIC_RETENTION_MS retention of each topic          (default 7 days)
  ROUTER_CONFIG             routing configuration YAML file  (default: the bundled sample)
  ROUTER_HTTP_ADDRESS       worker /metrics /livez /readyz   (default 127.0.0.1:9108)
  ROUTER_SWEEP_INTERVAL_MS  how often due offers/wrap-ups are looked for (default 1000)
  ROUTER_QUEUE_SWEEP_MS     periodic cycle of every queue; 0 turns it off (default 5000)
  ROUTER_BATCH_MAX          input records handled together, concurrently across keys
                            (default 500; 1 handles one at a time)
  ROUTER_BATCH_WAIT_MS      how long a batch stays open after its first record; 0
                            takes the records already waiting (default 0)
  ROUTER_BATCHES_IN_FLIGHT  batches of one input topic handled at once, acknowledged
                            in order (default 5)
"""


def _cmd_topics_create(settings: Settings, _args: argparse.Namespace) -> int:
    from router.admin import create_topics

    for result in create_topics(settings):
        print(f"{result.name}: {result.outcome}")
    return 0


def _cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    from router.streams.worker import run_worker

    run_worker(settings, loglevel=args.loglevel)
    return 0


def _cmd_config_validate(_settings: Settings, args: argparse.Namespace) -> int:
    from router.config.issues import format_issue
    from router.config.load import validate_config_file

    issues = validate_config_file(args.file)
    for issue in issues:
        print(f"{args.file}: {format_issue(issue)}", file=sys.stderr)
    if issues:
        print(f"{args.file}: {len(issues)} problem(s); the router will not load it",
              file=sys.stderr)
        return 1
    print(f"{args.file}: valid")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="router",
        description="Self-hosted work-distribution router: consumes work-item, agent and "
        "offer-response events from Kafka, keeps its state in Redis and publishes offers, "
        "assignments and declines.",
        epilog=ENVIRONMENT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    topics = commands.add_parser("topics", help="manage the router's Kafka topics")
    topic_commands = topics.add_subparsers(dest="topics_command", metavar="ACTION", required=True)
    create = topic_commands.add_parser(
        "create",
        help="create every topic the router uses (existing topics are left as they are)",
    )
    create.set_defaults(handler=_cmd_topics_create)

    config = commands.add_parser("config", help="check routing configuration files")
    config_commands = config.add_subparsers(dest="config_command", metavar="ACTION",
                                            required=True)
    validate = config_commands.add_parser(
        "validate",
        help="check a routing configuration file; print every problem as `path: reason` "
        "and exit 1 if there is any",
    )
    validate.add_argument("file", type=Path, help="the YAML routing configuration")
    validate.set_defaults(handler=_cmd_config_validate)

    worker = commands.add_parser(
        "worker", help="run a router worker (Faust application) until SIGTERM or Ctrl-C"
    )
    worker.add_argument("--loglevel", default="info",
                        choices=["debug", "info", "warning", "error"])
    worker.set_defaults(handler=_cmd_worker)

    add_observability(commands)
    add_demo(commands)
    add_simulate(commands)
    add_bench(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"router: {exc}", file=sys.stderr)
        return 2
    handler = args.handler
    result: int = handler(settings, args)
    return result


if __name__ == "__main__":
    sys.exit(main())
