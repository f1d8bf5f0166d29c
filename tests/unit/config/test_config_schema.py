"""The committed JSON Schema is exactly what the model generates (no drift)."""

from __future__ import annotations

import json

import yaml
from jsonschema import Draft202012Validator

from router.config import schemagen
from router.config.load import sample_config_text


def test_committed_schema_matches_the_model() -> None:
    committed = schemagen.SCHEMA_PATH.read_text(encoding="utf-8")
    assert committed == schemagen.render_schema(), "run: python -m router.config.schemagen"


def test_schema_is_draft_2020_12_and_accepts_the_sample() -> None:
    schema = json.loads(schemagen.SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)
    Draft202012Validator(schema).validate(yaml.safe_load(sample_config_text()))


def test_check_mode_reports_fresh_schema() -> None:
    assert schemagen.main(["--check"]) == 0
