"""Cross-reference checks on a structurally valid config.

Why separate from the schema: JSON Schema cannot say "this queue must exist",
"ids are unique" or "weights sum to 100". Every check appends to one list so a
user sees every problem in a single run, each with a path and a fix-it reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from msgspec import UnsetType

from router.config.issues import ConfigIssue
from router.config.model import (
    BASE_PRESENCES,
    Condition,
    ItemRef,
    Queue,
    RoutingConfig,
    Tenant,
    Workstream,
)
from router.core.fields import is_agent_field, is_item_field

_NO_VALUE_OPS = frozenset({"contains_data", "not_contains_data"})
_LIST_OPS = frozenset({"in", "not_in"})
_MAGNITUDE_OPS = frozenset({"gt", "ge", "lt", "le"})


def check_config(config: RoutingConfig) -> list[ConfigIssue]:
    """All cross-reference issues of ``config`` (empty when consistent)."""
    issues: list[ConfigIssue] = []
    _duplicates(issues, "tenants", [t.id for t in config.tenants], "tenant id")
    for ti, tenant in enumerate(config.tenants):
        _check_tenant(issues, f"tenants[{ti}]", tenant)
    return issues


def _duplicates(issues: list[ConfigIssue], base: str, ids: list[str], what: str) -> None:
    seen: dict[str, int] = {}
    for i, ident in enumerate(ids):
        if ident in seen:
            issues.append(
                ConfigIssue(
                    f"{base}[{i}]",
                    f"duplicate {what} {ident!r} (first defined at {base}[{seen[ident]}])",
                )
            )
        else:
            seen[ident] = i


def _check_tenant(issues: list[ConfigIssue], at: str, tenant: Tenant) -> None:
    queue_ids = [q.id for q in tenant.queues]
    _duplicates(issues, f"{at}.queues", queue_ids, "queue id")
    _duplicates(issues, f"{at}.workstreams", [w.id for w in tenant.workstreams], "workstream id")
    profiles = [p.name for p in tenant.capacity_profiles]
    _duplicates(issues, f"{at}.capacity_profiles", profiles, "capacity profile")
    for custom in tenant.presence:
        if custom in BASE_PRESENCES:
            issues.append(
                ConfigIssue(
                    f"{at}.presence.{custom}",
                    "a base status cannot be remapped; use a new name for custom statuses",
                )
            )
    presences = set(BASE_PRESENCES) | set(tenant.presence)
    known_queues = set(queue_ids)
    for wi, ws in enumerate(tenant.workstreams):
        _check_workstream(
            issues, f"{at}.workstreams[{wi}]", ws, known_queues, set(profiles), presences
        )
    for qi, queue in enumerate(tenant.queues):
        _check_queue(issues, f"{at}.queues[{qi}]", queue)


def _unknown(name: str, what: str, known: Iterable[str]) -> str:
    listed = ", ".join(sorted(known)) or "none defined"
    return f"unknown {what} {name!r}; defined: {listed}"


def _check_workstream(
    issues: list[ConfigIssue],
    at: str,
    ws: Workstream,
    queues: set[str],
    profiles: set[str],
    presences: set[str],
) -> None:
    for pi, presence in enumerate(ws.allowed_presences):
        if presence not in presences:
            issues.append(
                ConfigIssue(
                    f"{at}.allowed_presences[{pi}]", _unknown(presence, "presence", presences)
                )
            )
    for pi, profile in enumerate(ws.capacity.profiles):
        if profile not in profiles:
            issues.append(
                ConfigIssue(
                    f"{at}.capacity.profiles[{pi}]",
                    _unknown(profile, "capacity profile", profiles),
                )
            )
    if ws.capacity.units == 0 and not ws.capacity.profiles:
        issues.append(ConfigIssue(f"{at}.capacity", "an item must cost units, profiles or both"))
    if ws.wrap_up.mode == "seconds" and ws.wrap_up.seconds is None:
        issues.append(
            ConfigIssue(f"{at}.wrap_up.seconds", "required when wrap_up.mode is 'seconds'")
        )
    if ws.wrap_up.mode != "seconds" and ws.wrap_up.seconds is not None:
        issues.append(
            ConfigIssue(f"{at}.wrap_up.seconds", "only allowed when wrap_up.mode is 'seconds'")
        )
    if ws.fallback_queue is not None and ws.fallback_queue not in queues:
        issues.append(
            ConfigIssue(f"{at}.fallback_queue", _unknown(ws.fallback_queue, "queue", queues))
        )
    catch_all: int | None = None
    for ri, route in enumerate(ws.routes):
        rat = f"{at}.routes[{ri}]"
        if catch_all is not None:
            issues.append(
                ConfigIssue(
                    rat,
                    f"never reached: routes[{catch_all}] has no 'when' and matches every item",
                )
            )
        elif isinstance(route.when, UnsetType):
            catch_all = ri
        if not isinstance(route.when, UnsetType):
            _check_condition(issues, f"{rat}.when", route.when, is_item_field, "item")
        if (route.queue is None) == (not route.split):
            issues.append(ConfigIssue(rat, "set exactly one of 'queue' or 'split'"))
        if route.queue is not None and route.queue not in queues:
            issues.append(ConfigIssue(f"{rat}.queue", _unknown(route.queue, "queue", queues)))
        for si, target in enumerate(route.split):
            if target.queue not in queues:
                issues.append(
                    ConfigIssue(f"{rat}.split[{si}].queue", _unknown(target.queue, "queue", queues))
                )
        if route.split:
            total = sum(t.weight for t in route.split)
            if total != 100:
                issues.append(
                    ConfigIssue(f"{rat}.split", f"weights must sum to 100, they sum to {total}")
                )
    for ri, rule in enumerate(ws.requirements):
        rat = f"{at}.requirements[{ri}]"
        if not isinstance(rule.when, UnsetType):
            _check_condition(issues, f"{rat}.when", rule.when, is_item_field, "item")
        if not rule.skills and not rule.selectors:
            issues.append(ConfigIssue(rat, "attaches nothing; add skills or selectors"))
        for si, skill in enumerate(rule.skills):
            if (skill.skill is None) == (skill.from_item is None):
                issues.append(
                    ConfigIssue(f"{rat}.skills[{si}]", "set exactly one of 'skill' or 'from_item'")
                )
            elif skill.from_item is not None and not is_item_field(skill.from_item):
                issues.append(
                    ConfigIssue(
                        f"{rat}.skills[{si}].from_item", _field_reason(skill.from_item, "item")
                    )
                )
        for si, sel in enumerate(rule.selectors):
            _check_leaf_value(issues, f"{rat}.selectors[{si}]", sel.op, sel.value, True)


def _check_queue(issues: list[ConfigIssue], at: str, queue: Queue) -> None:
    for ri, prule in enumerate(queue.prioritization):
        rat = f"{at}.prioritization[{ri}]"
        _check_condition(issues, f"{rat}.when", prule.when, is_item_field, "item")
        for oi, order in enumerate(prule.order_by):
            if order.field != "fifo" and not is_item_field(order.field):
                issues.append(
                    ConfigIssue(f"{rat}.order_by[{oi}].field", _field_reason(order.field, "item"))
                )
    assignment = queue.assignment
    for li, label in enumerate(assignment.best_worker.label_fields):
        if not is_item_field(label):
            issues.append(
                ConfigIssue(
                    f"{at}.assignment.best_worker.label_fields[{li}]", _field_reason(label, "item")
                )
            )
    if assignment.method == "custom" and not assignment.rules:
        issues.append(
            ConfigIssue(f"{at}.assignment.rules", "method 'custom' needs at least one rule")
        )
    if assignment.method != "custom" and assignment.rules:
        issues.append(
            ConfigIssue(
                f"{at}.assignment.rules",
                f"rules are only used by method 'custom' (method is {assignment.method!r})",
            )
        )
    for ri, arule in enumerate(assignment.rules):
        rat = f"{at}.assignment.rules[{ri}]"
        if not isinstance(arule.when, UnsetType):
            _check_condition(issues, f"{rat}.when", arule.when, is_agent_field, "agent")
        for oi, agent_order in enumerate(arule.order_by):
            if agent_order.by == "attribute" and agent_order.field is None:
                issues.append(
                    ConfigIssue(f"{rat}.order_by[{oi}].field", "required when by is 'attribute'")
                )
            elif agent_order.by == "attribute" and not is_agent_field(agent_order.field or ""):
                issues.append(
                    ConfigIssue(
                        f"{rat}.order_by[{oi}].field",
                        _field_reason(agent_order.field or "", "agent"),
                    )
                )
            elif agent_order.by != "attribute" and agent_order.field is not None:
                issues.append(
                    ConfigIssue(
                        f"{rat}.order_by[{oi}].field",
                        f"only used when by is 'attribute' (by is {agent_order.by!r})",
                    )
                )


def _field_reason(name: str, kind: str) -> str:
    if kind == "item":
        return (
            f"unknown item field {name!r}; use attributes.<key> or one of: id, channel, "
            "priority, created_at, last_interaction_at, deadline, age_seconds, "
            "seconds_to_deadline, queue, workstream"
        )
    return (
        f"unknown agent field {name!r}; use attributes.<key>, skills.<name>, "
        "profile_available.<profile> or one of: id, presence, status, available_units, "
        "has_capacity, skill_count, requirements_met, is_working, queues"
    )


def _check_condition(
    issues: list[ConfigIssue],
    at: str,
    cond: Condition,
    known: Callable[[str], bool],
    kind: str,
) -> None:
    forms = [
        name
        for name, part in (
            ("all", cond.all),
            ("any", cond.any),
            ("not", cond.not_),
            ("field", cond.field),
        )
        if not isinstance(part, UnsetType)
    ]
    if len(forms) != 1:
        shown = ", ".join(forms) if forms else "none"
        issues.append(
            ConfigIssue(at, f"a condition needs exactly one of all, any, not, field (has {shown})")
        )
        return
    if not isinstance(cond.all, UnsetType):
        for i, sub in enumerate(cond.all):
            _check_condition(issues, f"{at}.all[{i}]", sub, known, kind)
        return
    if not isinstance(cond.any, UnsetType):
        for i, sub in enumerate(cond.any):
            _check_condition(issues, f"{at}.any[{i}]", sub, known, kind)
        return
    if not isinstance(cond.not_, UnsetType):
        _check_condition(issues, f"{at}.not", cond.not_, known, kind)
        return
    assert not isinstance(cond.field, UnsetType)
    if not known(cond.field):
        issues.append(ConfigIssue(f"{at}.field", _field_reason(cond.field, kind)))
    if isinstance(cond.op, UnsetType):
        issues.append(ConfigIssue(f"{at}.op", "required field is missing"))
        return
    value = None if isinstance(cond.value, UnsetType) else cond.value
    _check_leaf_value(issues, at, cond.op, value, not isinstance(cond.value, UnsetType))


def _check_leaf_value(
    issues: list[ConfigIssue], at: str, op: str, value: object, has_value: bool
) -> None:
    if isinstance(value, ItemRef):
        if not is_item_field(value.item):
            issues.append(ConfigIssue(f"{at}.value.item", _field_reason(value.item, "item")))
        return
    if op in _NO_VALUE_OPS:
        if has_value and value is not None:
            issues.append(ConfigIssue(f"{at}.value", f"operator {op!r} takes no value"))
        return
    if not has_value:
        issues.append(ConfigIssue(f"{at}.value", f"operator {op!r} needs a value"))
    elif op in _LIST_OPS and not isinstance(value, list):
        issues.append(ConfigIssue(f"{at}.value", f"operator {op!r} needs a list value"))
    elif op in _MAGNITUDE_OPS and (isinstance(value, bool) or not isinstance(value, int | float)):
        issues.append(ConfigIssue(f"{at}.value", f"operator {op!r} needs a number"))
