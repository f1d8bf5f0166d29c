"""The JSON Schema files: generated from the models, no drift, examples valid both ways."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from contract_helpers import example_builtins

from router.contract import EVENT_TYPES, DecodeError, decode
from router.contract.schemagen import DEFAULT_DIR, ENVELOPE_FILE, generate, main, stale

SCHEMAS = {path.name: json.loads(path.read_text()) for path in sorted(DEFAULT_DIR.glob("*.json"))}
README = DEFAULT_DIR.parent / "README.md"


def _validator(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def test_committed_schemas_equal_the_generator_output() -> None:
    assert stale() == [], "run: .venv/bin/python -m router.contract.schemagen"
    assert {p.name for p in DEFAULT_DIR.glob("*.json")} == set(generate())


def test_generator_check_mode_and_write(tmp_path: Path) -> None:
    assert main(["--check", "--out", str(tmp_path)]) == 1
    (tmp_path / "leftover.json").write_text("{}")
    assert main(["--out", str(tmp_path)]) == 0
    assert not (tmp_path / "leftover.json").exists()
    assert main(["--check", "--out", str(tmp_path)]) == 0


def test_one_schema_per_event_type_plus_envelope() -> None:
    assert set(SCHEMAS) == {f"{t}.schema.json" for t in EVENT_TYPES} | {ENVELOPE_FILE}


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_schema_metadata(event_type: str) -> None:
    schema = SCHEMAS[f"{event_type}.schema.json"]
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith(event_type)
    assert schema["title"] == event_type
    assert schema["description"]
    assert schema["properties"]["type"] == {"enum": [event_type]}
    assert schema["additionalProperties"] is False
    assert len(schema["examples"]) == 1


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_example_is_schema_valid_and_decodes(event_type: str) -> None:
    schema = SCHEMAS[f"{event_type}.schema.json"]
    (example,) = schema["examples"]
    _validator(schema).validate(example)
    _validator(SCHEMAS[ENVELOPE_FILE]).validate(example)
    event = decode(json.dumps(example).encode())
    assert event.type == event_type


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_schema_rejects_what_the_codec_rejects(event_type: str) -> None:
    """Agreement on the structural rules: unknown fields, missing data, wrong version."""
    validator = _validator(SCHEMAS[f"{event_type}.schema.json"])
    for mutate in (
        lambda d: d.update(extra=1),
        lambda d: d["data"].update(extra=1),
        lambda d: d.pop("data"),
        lambda d: d.update(schema_version=2),
        lambda d: d.update(tenant="no/slash"),
        lambda d: d.update(id=""),
    ):
        doc = example_builtins(event_type)
        mutate(doc)
        assert not validator.is_valid(doc)
        with pytest.raises(DecodeError):
            decode(json.dumps(doc).encode())


def _readme_events() -> list[dict[str, Any]]:
    blocks = re.findall(r"```json\n(.*?)```", README.read_text(), flags=re.DOTALL)
    docs = [json.loads(block) for block in blocks]
    return [d for d in docs if isinstance(d, dict) and "type" in d and "data" in d]


def test_readme_shows_every_input_event_and_its_examples_decode() -> None:
    shown = _readme_events()
    types = {d["type"] for d in shown}
    assert {"work_item.created", "agent.registered", "agent.offer_accepted"} <= types
    for doc in shown:
        event = decode(json.dumps(doc).encode())
        _validator(SCHEMAS[f"{event.type}.schema.json"]).validate(doc)
