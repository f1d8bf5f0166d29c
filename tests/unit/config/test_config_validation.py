"""The routing config: the sample loads, and broken configs give exact path + reason."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from router.config import ConfigError, ConfigIssue, format_issue, load_config, validate_config_file
from router.config.load import sample_config_text, validate_config_text
from router.config.model import RoutingConfig

SAMPLE: dict[str, Any] = yaml.safe_load(sample_config_text())

Mutation = Callable[[dict[str, Any]], None]


def issues_after(mutate: Mutation) -> list[ConfigIssue]:
    data = copy.deepcopy(SAMPLE)
    mutate(data)
    return validate_config_text(yaml.safe_dump(data, sort_keys=False))


def tenant(data: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = data["tenants"][0]
    return result


def queue_index(data: dict[str, Any], qid: str) -> int:
    return next(i for i, q in enumerate(tenant(data)["queues"]) if q["id"] == qid)


def test_bundled_sample_loads() -> None:
    config = load_config(None)
    assert isinstance(config, RoutingConfig)
    acme = config.tenants[0]
    assert {w.channel for w in acme.workstreams} == {"messaging", "voice", "records"}
    assert {w.id: w.effective_block_size for w in acme.workstreams} == {
        "chat": 100,
        "voice": 100,
        "cases": 2000,
    }
    vip = next(q for q in acme.queues if q.id == "vip")
    assert not vip.is_fifo
    languages = next(q for q in acme.queues if q.id == "languages")
    assert languages.assignment.method == "custom"
    assert len(languages.assignment.rules) == 3
    assert len({q.group for q in acme.queues}) >= 3


def test_sample_file_validates(tmp_path: Path) -> None:
    path = tmp_path / "routing.yaml"
    path.write_text(sample_config_text(), encoding="utf-8")
    assert validate_config_file(path) == []
    assert load_config(path) == load_config(None)


def _set_op(d: dict[str, Any]) -> None:
    rules = tenant(d)["queues"][queue_index(d, "languages")]["assignment"]["rules"]
    rules[0]["when"]["all"][1]["op"] = "equals"


LANG = "tenants[0].queues[3]"
WS0 = "tenants[0].workstreams[0]"

BROKEN: list[tuple[str, Mutation, str, str]] = [
    (
        "wrong operator",
        _set_op,
        f"{LANG}.assignment.rules[0].when.all[1].op",
        "must be one of contains, contains_data, eq, ge, gt, in, le, lt, ne, "
        'not_contains_data, not_in; got string "equals"',
    ),
    (
        "missing queue id",
        lambda d: tenant(d)["queues"][1].pop("id"),
        "tenants[0].queues[1].id",
        "required field is missing",
    ),
    (
        "wrong type for a group number",
        lambda d: tenant(d)["queues"][2].__setitem__("group", "first"),
        "tenants[0].queues[2].group",
        'expected integer, got string "first"',
    ),
    (
        "bad channel enum",
        lambda d: tenant(d)["workstreams"][1].__setitem__("channel", "phone"),
        "tenants[0].workstreams[1].channel",
        'must be one of messaging, records, voice; got string "phone"',
    ),
    (
        "decline limit out of range",
        lambda d: tenant(d).__setitem__("decline_limit", 7),
        "tenants[0].decline_limit",
        "must be <= 5, got integer 7",
    ),
    (
        "negative block size",
        lambda d: tenant(d)["workstreams"][0].__setitem__("block_size", -5),
        f"{WS0}.block_size",
        "must be >= 1, got integer -5",
    ),
    (
        "unknown field (typo)",
        lambda d: tenant(d)["workstreams"][0].__setitem__("fallback_queu", "general"),
        f"{WS0}.fallback_queu",
        "unknown field; expected one of: allowed_presences, block_size, capacity, channel, "
        "fallback_queue, id, offer_mode, offer_timeout_seconds, preferred_agents, "
        "requirements, routes, skill_matching, wrap_up",
    ),
    (
        "route to an unknown queue",
        lambda d: tenant(d)["workstreams"][0]["routes"][0].__setitem__("queue", "vvip"),
        f"{WS0}.routes[0].queue",
        "unknown queue 'vvip'; defined: backoffice, billing_a, billing_b, escalations, "
        "general, languages, vip, voice_general",
    ),
    (
        "fallback queue missing",
        lambda d: tenant(d)["workstreams"][2].__setitem__("fallback_queue", "archive"),
        "tenants[0].workstreams[2].fallback_queue",
        "unknown queue 'archive'; defined: backoffice, billing_a, billing_b, escalations, "
        "general, languages, vip, voice_general",
    ),
    (
        "duplicate queue id",
        lambda d: tenant(d)["queues"].append({"id": "billing_a", "group": 4}),
        "tenants[0].queues[8]",
        "duplicate queue id 'billing_a' (first defined at tenants[0].queues[1])",
    ),
    (
        "weights not summing to 100",
        lambda d: tenant(d)["workstreams"][0]["routes"][1]["split"][1].__setitem__("weight", 20),
        f"{WS0}.routes[1].split",
        "weights must sum to 100, they sum to 90",
    ),
    (
        "unknown capacity profile",
        lambda d: tenant(d)["workstreams"][1]["capacity"].__setitem__("profiles", ["calls"]),
        "tenants[0].workstreams[1].capacity.profiles[0]",
        "unknown capacity profile 'calls'; defined: call, case, chat",
    ),
    (
        "unknown presence",
        lambda d: tenant(d)["workstreams"][1].__setitem__("allowed_presences", ["online"]),
        "tenants[0].workstreams[1].allowed_presences[0]",
        "unknown presence 'online'; defined: available, away, busy, busy_dnd, in_training, "
        "lunch, offline, wrapping_up",
    ),
    (
        "custom presence mapped to a status that is not a base one",
        lambda d: tenant(d)["presence"].__setitem__("lunch", "eating"),
        "tenants[0].presence.lunch",
        'must be one of available, away, busy, busy_dnd, offline; got string "eating"',
    ),
    (
        "unknown item field in a condition",
        lambda d: tenant(d)["workstreams"][0]["routes"][0]["when"].__setitem__(
            "field", "atributes.vip"
        ),
        f"{WS0}.routes[0].when.field",
        "unknown item field 'atributes.vip'; use attributes.<key> or one of: id, channel, "
        "priority, created_at, last_interaction_at, deadline, age_seconds, "
        "seconds_to_deadline, queue, workstream",
    ),
    (
        "condition with two forms",
        lambda d: tenant(d)["workstreams"][0]["routes"][2]["when"].__setitem__(
            "field", "attributes.x"
        ),
        f"{WS0}.routes[2].when",
        "a condition needs exactly one of all, any, not, field (has all, field)",
    ),
    (
        "in operator without a list",
        lambda d: tenant(d)["workstreams"][0]["routes"][1]["when"].__setitem__("value", "billing"),
        f"{WS0}.routes[1].when.value",
        "operator 'in' needs a list value",
    ),
    (
        "magnitude operator with a string",
        lambda d: tenant(d)["queues"][0]["prioritization"][1]["when"].__setitem__("value", "soon"),
        "tenants[0].queues[0].prioritization[1].when.value",
        "operator 'le' needs a number",
    ),
    (
        "custom method without rules",
        lambda d: tenant(d)["queues"][3]["assignment"].__setitem__("rules", []),
        f"{LANG}.assignment.rules",
        "method 'custom' needs at least one rule",
    ),
    (
        "wrap-up in seconds without seconds",
        lambda d: tenant(d)["workstreams"][0]["wrap_up"].pop("seconds"),
        f"{WS0}.wrap_up.seconds",
        "required when wrap_up.mode is 'seconds'",
    ),
    (
        "dynamic value naming an unknown item field",
        lambda d: tenant(d)["queues"][3]["assignment"]["rules"][1]["when"].__setitem__(
            "value", {"item": "attributes"}
        ),
        f"{LANG}.assignment.rules[1].when.value.item",
        "unknown item field 'attributes'; use attributes.<key> or one of: id, channel, "
        "priority, created_at, last_interaction_at, deadline, age_seconds, "
        "seconds_to_deadline, queue, workstream",
    ),
    (
        "unknown agent field in an assignment rule",
        lambda d: tenant(d)["queues"][3]["assignment"]["rules"][0]["when"]["all"][1].__setitem__(
            "field", "skill.language"
        ),
        f"{LANG}.assignment.rules[0].when.all[1].field",
        "unknown agent field 'skill.language'; use attributes.<key>, skills.<name>, "
        "profile_available.<profile> or one of: id, presence, status, available_units, "
        "has_capacity, skill_count, requirements_met, is_working, queues",
    ),
    (
        "offer timeout of zero",
        lambda d: tenant(d)["workstreams"][1].__setitem__("offer_timeout_seconds", 0),
        "tenants[0].workstreams[1].offer_timeout_seconds",
        "must be > 0, got integer 0",
    ),
    (
        "no tenants",
        lambda d: d.__setitem__("tenants", []),
        "tenants",
        "must not be empty",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "path", "reason"),
    [pytest.param(m, p, r, id=name) for name, m, p, r in BROKEN],
)
def test_broken_config_reports_exact_path_and_reason(
    mutate: Mutation, path: str, reason: str
) -> None:
    issues = issues_after(mutate)
    assert ConfigIssue(path, reason) in issues, [format_issue(i) for i in issues]
    assert len(issues) == 1, [format_issue(i) for i in issues]


def test_yaml_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("version: 1\ntenants:\n  - id: acme\n    queues: [a, b\n", encoding="utf-8")
    issues = validate_config_file(path)
    assert issues == [
        ConfigIssue(
            "$",
            "YAML syntax error at line 5, column 1: expected ',' or ']', but got '<stream end>'",
        )
    ]


def test_every_structural_error_is_reported_at_once() -> None:
    def many(d: dict[str, Any]) -> None:
        tenant(d)["decline_limit"] = 0
        tenant(d)["queues"][0]["group"] = -1
        tenant(d)["workstreams"][0]["channel"] = "sms"
        _set_op(d)

    paths = [i.path for i in issues_after(many)]
    assert paths == [
        "tenants[0].decline_limit",
        "tenants[0].queues[0].group",
        f"{LANG}.assignment.rules[0].when.all[1].op",
        f"{WS0}.channel",
    ]


def test_every_cross_reference_error_is_reported_at_once() -> None:
    def many(d: dict[str, Any]) -> None:
        tenant(d)["workstreams"][0]["fallback_queue"] = "nope"
        tenant(d)["workstreams"][1]["routes"][0]["queue"] = "nope"
        tenant(d)["queues"].append({"id": "vip"})

    assert [i.path for i in issues_after(many)] == [
        "tenants[0].queues[8]",
        f"{WS0}.fallback_queue",
        "tenants[0].workstreams[1].routes[0].queue",
    ]


def test_load_config_raises_with_all_issues(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("version: 0\ntenants: []\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert [format_issue(i) for i in info.value.issues] == [
        "tenants: must not be empty",
        "version: must be >= 1, got integer 0",
    ]


def test_empty_and_unreadable_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    assert validate_config_file(empty) == [
        ConfigIssue("$", "the file is empty; expected a mapping")
    ]
    missing = validate_config_file(tmp_path / "absent.yaml")
    assert missing[0].path == "$" and missing[0].reason.startswith("cannot read the file")


def test_top_level_must_be_a_mapping() -> None:
    assert validate_config_text("- 1\n- 2\n") == [ConfigIssue("$", "expected mapping, got list")]


def test_format_issue() -> None:
    assert format_issue(ConfigIssue("tenants[0].id", "required field is missing")) == (
        "tenants[0].id: required field is missing"
    )


EXTRA: list[tuple[str, Mutation, str, str]] = [
    (
        "route after a catch-all route",
        lambda d: tenant(d)["workstreams"][0]["routes"].insert(2, {"queue": "general"}),
        f"{WS0}.routes[3]",
        "never reached: routes[2] has no 'when' and matches every item",
    ),
    (
        "best worker label that is not an item field",
        lambda d: tenant(d)["queues"][0]["assignment"]["best_worker"].__setitem__(
            "label_fields", ["lang"]
        ),
        "tenants[0].queues[0].assignment.best_worker.label_fields[0]",
        "unknown item field 'lang'; use attributes.<key> or one of: id, channel, "
        "priority, created_at, last_interaction_at, deadline, age_seconds, "
        "seconds_to_deadline, queue, workstream",
    ),
    (
        "order by attribute without a field",
        lambda d: tenant(d)["queues"][3]["assignment"]["rules"][2].__setitem__(
            "order_by", [{"by": "attribute"}]
        ),
        f"{LANG}.assignment.rules[2].order_by[0].field",
        "required when by is 'attribute'",
    ),
    (
        "rules on a non-custom method",
        lambda d: tenant(d)["queues"][1]["assignment"].__setitem__("rules", [{"name": "x"}]),
        "tenants[0].queues[1].assignment.rules",
        "rules are only used by method 'custom' (method is 'round_robin')",
    ),
    (
        "split and queue on one route",
        lambda d: tenant(d)["workstreams"][0]["routes"][1].__setitem__("queue", "general"),
        f"{WS0}.routes[1]",
        "set exactly one of 'queue' or 'split'",
    ),
    (
        "base status remapped",
        lambda d: tenant(d)["presence"].__setitem__("away", "offline"),
        "tenants[0].presence.away",
        "a base status cannot be remapped; use a new name for custom statuses",
    ),
    (
        "contains_data with a value",
        lambda d: tenant(d)["workstreams"][0]["requirements"][0]["when"].__setitem__("value", "x"),
        f"{WS0}.requirements[0].when.value",
        "operator 'contains_data' takes no value",
    ),
    (
        "skill with both a name and from_item",
        lambda d: tenant(d)["workstreams"][0]["requirements"][1]["skills"][0].__setitem__(
            "from_item", "attributes.topic"
        ),
        f"{WS0}.requirements[1].skills[0]",
        "set exactly one of 'skill' or 'from_item'",
    ),
    (
        "proficiency out of range",
        lambda d: tenant(d)["workstreams"][0]["requirements"][1]["skills"][0].__setitem__(
            "min_proficiency", 11
        ),
        f"{WS0}.requirements[1].skills[0].min_proficiency",
        "must be <= 10, got integer 11",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "path", "reason"),
    [pytest.param(m, p, r, id=name) for name, m, p, r in EXTRA],
)
def test_more_broken_configs(mutate: Mutation, path: str, reason: str) -> None:
    issues = issues_after(mutate)
    assert issues == [ConfigIssue(path, reason)], [format_issue(i) for i in issues]
