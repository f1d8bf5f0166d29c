"""Loading and validating routing config files.

Why three passes: users fix configs faster when they see every problem at once.
1. YAML syntax (with line and column),
2. structure: every JSON Schema error (the schema is generated from the model, so
   this is exactly what msgspec would reject, but all errors, each with its path),
3. cross references the schema cannot express: targets that do not exist,
   duplicate ids, weights not summing to 100, malformed conditions, ...

``validate_config_file`` returns issues, never raises; ``load_config`` raises
``ConfigError`` carrying the same issues.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, cast

import msgspec
import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from router.config.checks import check_config
from router.config.issues import ConfigIssue, format_issue, format_path
from router.config.model import RoutingConfig

__all__ = [
    "ConfigError",
    "ConfigIssue",
    "format_issue",
    "load_config",
    "parse_config_text",
    "sample_config_text",
    "validate_config_file",
    "validate_config_text",
]

ROOT = "$"


class ConfigError(ValueError):
    """Raised by ``load_config`` when a config has issues; ``issues`` lists them all."""

    def __init__(self, issues: Sequence[ConfigIssue]) -> None:
        self.issues = tuple(issues)
        super().__init__("\n".join(format_issue(i) for i in self.issues))


@dataclass(frozen=True, slots=True)
class _Parsed:
    config: RoutingConfig | None
    issues: tuple[ConfigIssue, ...]


def sample_config_text() -> str:
    """The bundled sample config (``router/config/sample.yaml``)."""
    return resources.files("router.config").joinpath("sample.yaml").read_text(encoding="utf-8")


def load_config(path: Path | None = None) -> RoutingConfig:
    """Load and fully validate a config; ``None`` loads the bundled sample."""
    text = sample_config_text() if path is None else path.read_text(encoding="utf-8")
    parsed = _parse(text)
    if parsed.issues or parsed.config is None:
        raise ConfigError(parsed.issues)
    return parsed.config


def validate_config_file(path: Path) -> list[ConfigIssue]:
    """Every issue in the file at ``path`` (empty list: the config is valid)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return [ConfigIssue(ROOT, f"cannot read the file: {exc.strerror or exc}")]
    except UnicodeDecodeError:
        return [ConfigIssue(ROOT, "the file is not UTF-8 text")]
    return validate_config_text(text)


def validate_config_text(text: str) -> list[ConfigIssue]:
    """Every issue in a config given as YAML (or JSON) text."""
    return list(_parse(text).issues)


def parse_config_text(text: str) -> RoutingConfig:
    """Parse and validate config text; raises ``ConfigError``."""
    parsed = _parse(text)
    if parsed.issues or parsed.config is None:
        raise ConfigError(parsed.issues)
    return parsed.config


def _parse(text: str) -> _Parsed:
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        return _Parsed(None, (_yaml_issue(exc),))
    except yaml.YAMLError as exc:  # pragma: no cover - every PyYAML parse error is marked
        return _Parsed(None, (ConfigIssue(ROOT, f"YAML syntax error: {exc}"),))
    if data is None:
        return _Parsed(None, (ConfigIssue(ROOT, "the file is empty; expected a mapping"),))
    structural = structural_issues(data)
    if structural:
        return _Parsed(None, tuple(structural))
    try:
        config = msgspec.convert(data, RoutingConfig)
    except msgspec.ValidationError as exc:  # the schema should have caught it
        return _Parsed(None, (_msgspec_issue(exc),))
    return _Parsed(config, tuple(check_config(config)))


def _yaml_issue(exc: yaml.MarkedYAMLError) -> ConfigIssue:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "invalid YAML"
    if mark is None:  # pragma: no cover
        return ConfigIssue(ROOT, f"YAML syntax error: {problem}")
    return ConfigIssue(
        ROOT,
        f"YAML syntax error at line {mark.line + 1}, column {mark.column + 1}: {problem}",
    )


def _msgspec_issue(exc: msgspec.ValidationError) -> ConfigIssue:
    message = str(exc)
    if " - at `" in message:
        reason, _, where = message.rpartition(" - at `")
        return ConfigIssue(where.rstrip("`").removeprefix("$.") or ROOT, reason)
    return ConfigIssue(ROOT, message)


# -- structural validation ---------------------------------------------------------


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    from router.config.schemagen import build_schema  # lazy: keeps `-m schemagen` clean

    return Draft202012Validator(build_schema())


def structural_issues(data: Any) -> list[ConfigIssue]:
    """Every JSON Schema error in ``data``, each at the path of the offending value."""
    found: dict[ConfigIssue, tuple[Any, ...]] = {}
    for error in _validator().iter_errors(data):
        for issue in _convert(error):
            found.setdefault(issue, _path_order(issue.path))
    return sorted(found, key=lambda i: (found[i], i.reason))


def _path_order(path: str) -> tuple[Any, ...]:
    """Sort key for dotted/indexed paths in document order (``[2]`` before ``[10]``)."""
    parts: list[tuple[int, Any]] = []
    for token in path.replace("[", ".[").split("."):
        if token.startswith("[") and token.endswith("]") and token[1:-1].isdigit():
            parts.append((0, int(token[1:-1])))
        elif token:
            parts.append((1, token))
    return tuple(parts)


def _convert(error: ValidationError) -> Iterator[ConfigIssue]:
    path = list(error.absolute_path)
    kind = error.validator
    instance = error.instance
    if kind == "required" and isinstance(instance, dict):
        for name in cast(list[str], error.validator_value):
            if name not in instance:
                yield ConfigIssue(format_path([*path, name]), "required field is missing")
        return
    if kind == "additionalProperties" and isinstance(instance, dict):
        schema = error.schema if isinstance(error.schema, dict) else {}
        known = sorted(schema.get("properties", {}))
        for name in instance:
            if name not in known:
                yield ConfigIssue(
                    format_path([*path, name]),
                    f"unknown field; expected one of: {', '.join(known)}",
                )
        return
    if kind in ("anyOf", "oneOf") and error.context:
        deeper = [e for e in error.context if len(e.absolute_path) > len(error.absolute_path)]
        if deeper:
            best = _deepest_branch(deeper)
            for sub in best:
                yield from _convert(sub)
            return
        # A branch whose type matched but whose constraint failed says the most.
        matched = [e for e in error.context if e.validator not in ("type", "enum")]
        if matched:
            for sub in _deepest_branch(matched):
                yield from _convert(sub)
            return
        types = _branch_types(error.validator_value)
        yield ConfigIssue(
            format_path(path), f"expected {' or '.join(types)}, got {_describe(instance)}"
        )
        return
    yield ConfigIssue(format_path(path), _reason(error))


def _deepest_branch(errors: Iterable[ValidationError]) -> list[ValidationError]:
    branches: dict[Any, list[ValidationError]] = {}
    for e in errors:
        key = e.relative_schema_path[0] if e.relative_schema_path else 0
        branches.setdefault(key, []).append(e)
    return max(branches.values(), key=lambda es: max(len(e.absolute_path) for e in es))


def _branch_types(branches: Any) -> list[str]:
    names: list[str] = []
    for branch in branches if isinstance(branches, list) else []:
        if "type" in branch:
            names.append(str(branch["type"]))
        elif "$ref" in branch:
            names.append("a mapping (" + str(branch["$ref"]).rsplit("/", 1)[-1] + ")")
        elif "enum" in branch:
            names.append("one of " + ", ".join(map(str, branch["enum"])))
    return list(dict.fromkeys(names)) or ["another value"]


_JSON_TYPES = {
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    list: "list",
    dict: "mapping",
    type(None): "null",
}


def _describe(value: Any) -> str:
    name = _JSON_TYPES.get(type(value), type(value).__name__)
    if isinstance(value, dict | list):
        return name
    return f"{name} {json.dumps(value, default=str)}"


def _reason(error: ValidationError) -> str:
    kind = error.validator
    expected: Any = error.validator_value
    got = _describe(error.instance)
    if kind == "enum":
        return f"must be one of {', '.join(map(str, expected))}; got {got}"
    if kind == "type":
        wanted = " or ".join(expected) if isinstance(expected, list) else str(expected)
        wanted = {"object": "mapping", "array": "list"}.get(wanted, wanted)
        return f"expected {wanted}, got {got}"
    bounds = {
        "minimum": ">=",
        "maximum": "<=",
        "exclusiveMinimum": ">",
        "exclusiveMaximum": "<",
    }
    if kind in bounds:
        return f"must be {bounds[kind]} {expected}, got {got}"
    if kind == "minLength":
        return "must not be empty" if expected == 1 else f"must have at least {expected} characters"
    if kind == "minItems":
        return "must not be empty" if expected == 1 else f"must have at least {expected} entries"
    return str(error.message)
