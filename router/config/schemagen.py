"""Generate ``schemas/config.schema.json`` from the msgspec model.

Why generated: the schema is the published contract for config authors and
editors; producing it from ``router.config.model`` means the two cannot drift
(a unit test compares the committed file with this generator's output).

Run ``python -m router.config.schemagen`` to rewrite the file, or with
``--check`` to exit 1 when it is stale.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import msgspec

from router.config.model import RoutingConfig

SCHEMA_ID = "https://github.com/router/router/schemas/config.schema.json"
SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schemas" / "config.schema.json"


def build_schema() -> dict[str, Any]:
    """Return the JSON Schema (draft 2020-12) for a routing config file."""
    body = msgspec.json.schema(RoutingConfig)
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Routing configuration",
        "description": "Tenants, workstreams, queues and rulesets of the work router.",
    }
    schema.update(body)
    return schema


def render_schema() -> str:
    """The schema as the exact text committed under ``schemas/``."""
    return json.dumps(build_schema(), indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check`` verify) the committed schema file."""
    args = sys.argv[1:] if argv is None else argv
    text = render_schema()
    if "--check" in args:
        current = SCHEMA_PATH.read_text(encoding="utf-8") if SCHEMA_PATH.exists() else ""
        if current != text:
            print(f"{SCHEMA_PATH} is stale; run python -m router.config.schemagen")
            return 1
        return 0
    SCHEMA_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {SCHEMA_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
