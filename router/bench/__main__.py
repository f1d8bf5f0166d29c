"""`python -m router.bench`: the `bench` subcommand on its own, for `make bench`."""

from __future__ import annotations

import argparse
import sys

from router.bench.command import add_parser
from router.settings import Settings, SettingsError


def main() -> int:
    parser = argparse.ArgumentParser(prog="router")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    add_parser(commands)
    args = parser.parse_args(["bench", *sys.argv[1:]])
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"router bench: {exc}", file=sys.stderr)
        return 2
    result: int = args.handler(settings, args)
    return result


if __name__ == "__main__":
    sys.exit(main())
