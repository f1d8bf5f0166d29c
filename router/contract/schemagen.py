"""Generate the JSON Schema files in schemas/events/ from the msgspec models.

    python -m router.contract.schemagen            # (re)write the files
    python -m router.contract.schemagen --check    # exit 1 if the files are stale

The models are the source of truth; a unit test fails when the committed files differ
from what this module generates.
"""

from __future__ import annotations

import argparse
import inspect
import sys
from pathlib import Path
from typing import Any

import msgspec
import orjson

from router.contract.envelope import AnyEnvelope, Event
from router.contract.examples import EXAMPLES
from router.contract.registry import DATA_TYPES, EVENT_TYPES, INPUT_TYPES, OUTPUT_TYPES
from router.contract.topics import TOPIC_EVENTS

DRAFT = "https://json-schema.org/draft/2020-12/schema"
ID_BASE = "urn:router:schemas:events:"
DEFAULT_DIR = Path(__file__).resolve().parents[2] / "schemas" / "events"
ENVELOPE_FILE = "envelope.schema.json"


def _file_name(event_type: str) -> str:
    return f"{event_type}.schema.json"


def _prose(text: str) -> str:
    """Docstrings as prose: paragraphs kept, line breaks and indentation dropped (so the
    output does not depend on the Python version's docstring handling)."""
    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(" ".join(p.split()) for p in paragraphs if p.strip())


def _tidy(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            k: _prose(v) if k == "description" and isinstance(v, str) else _tidy(v)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_tidy(v) for v in node]
    return node


def _standalone(cls: type[msgspec.Struct]) -> dict[str, Any]:
    """The schema of `cls` at the top level, its nested structs under `$defs`."""
    _, components = msgspec.json.schema_components([cls], ref_template="#/$defs/{name}")
    components = _tidy(components)
    top = dict(components.pop(cls.__name__))
    top.pop("title", None)
    top.pop("description", None)
    if components:
        top["$defs"] = dict(sorted(components.items()))
    return top


def _topics_of(event_type: str) -> list[str]:
    return [name for name, spec in TOPIC_EVENTS.items() if event_type in spec.event_types]


def _direction(event_type: str) -> str:
    both = event_type in INPUT_TYPES and event_type in OUTPUT_TYPES
    return "input and output" if both else "input" if event_type in INPUT_TYPES else "output"


def event_schema(event_type: str) -> dict[str, Any]:
    cls: type[Event[Any]] = EVENT_TYPES[event_type]
    data_cls = DATA_TYPES[event_type]
    topics = ", ".join(_topics_of(event_type))
    description = "\n\n".join(
        (
            _prose(cls.__doc__ or ""),
            _prose(data_cls.__doc__ or ""),
            f"Direction: {_direction(event_type)}. Topic: {topics}.",
        )
    )
    return {
        "$schema": DRAFT,
        "$id": f"{ID_BASE}{event_type}",
        "title": event_type,
        "description": description,
        **_standalone(cls),
        "examples": [msgspec.to_builtins(EXAMPLES[event_type])],
    }


def envelope_schema() -> dict[str, Any]:
    schema = _standalone(AnyEnvelope)
    schema["properties"]["type"] = {
        "enum": sorted(EVENT_TYPES),
        "description": "Event type; selects the schema of `data` (<type>.schema.json).",
    }
    return {
        "$schema": DRAFT,
        "$id": f"{ID_BASE}envelope",
        "title": "envelope",
        "description": "Fields every event carries. `type` selects the `data` schema; "
        "each <type>.schema.json validates a whole event of that type.",
        **schema,
        "examples": [msgspec.to_builtins(EXAMPLES["work_item.created"])],
    }


def _dump(schema: dict[str, Any]) -> bytes:
    return orjson.dumps(schema, option=orjson.OPT_INDENT_2) + b"\n"


def generate() -> dict[str, bytes]:
    """File name -> file content, for every schema file."""
    files = {ENVELOPE_FILE: _dump(envelope_schema())}
    for event_type in sorted(EVENT_TYPES):
        files[_file_name(event_type)] = _dump(event_schema(event_type))
    return files


def stale(directory: Path = DEFAULT_DIR) -> list[str]:
    """Names of files that are missing, differ, or should not be there."""
    wanted = generate()
    present = {p.name for p in directory.glob("*.json")} if directory.is_dir() else set()
    problems = sorted(name for name in present - wanted.keys())
    for name, content in wanted.items():
        path = directory / name
        if not path.is_file() or path.read_bytes() != content:
            problems.append(name)
    return problems


def write(directory: Path = DEFAULT_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    wanted = generate()
    for old in directory.glob("*.json"):
        if old.name not in wanted:
            old.unlink()
    written = []
    for name, content in wanted.items():
        path = directory / name
        if not path.is_file() or path.read_bytes() != content:
            path.write_bytes(content)
            written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m router.contract.schemagen")
    parser.add_argument("--out", type=Path, default=DEFAULT_DIR, help="target directory")
    parser.add_argument("--check", action="store_true", help="only report stale files")
    args = parser.parse_args(argv)
    if args.check:
        problems = stale(args.out)
        for name in problems:
            print(f"stale: {args.out / name}", file=sys.stderr)
        return 1 if problems else 0
    for path in write(args.out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
