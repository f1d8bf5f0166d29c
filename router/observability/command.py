"""`router stats [QUEUE]` and `router explain ITEM`: the statistics of SPEC E2/E3 for people.

Why read Redis directly rather than ask a worker: the state is in Redis, so the answer is
the same whichever worker runs and even when none does. What Redis cannot tell (rates:
service level, how fast a queue moves) comes from Prometheus when ``--prometheus`` is
given, because only a time series knows a rate.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import urllib.parse
import urllib.request
from typing import Any

from router.config.load import load_config
from router.config.model import Queue, Tenant
from router.core.explain import explain_item
from router.observability.metrics import WAIT_BUCKETS
from router.observability.state_reads import (
    AgentTally,
    QueueState,
    bucket_names,
    read_agents,
    read_offered,
    read_queue,
    read_queue_agents,
)
from router.settings import Settings
from router.state import keys
from router.state.redis_store import RedisBackend

PROMETHEUS_ENV = "ROUTER_PROMETHEUS_URL"
RATE_WINDOW = "15m"


class CommandError(Exception):
    """A problem with the command's input, printed as `router <cmd>: <message>`."""


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--tenant", help="tenant id (default: the configuration's only tenant)")
    common.add_argument("--json", action="store_true", help="print one JSON object instead")
    common.add_argument(
        "--prometheus", metavar="URL", default=os.environ.get(PROMETHEUS_ENV),
        help=f"Prometheus base URL for rates (service level, estimated wait); default "
        f"${PROMETHEUS_ENV}; without it those lines say they are unknown",
    )
    stats = commands.add_parser(
        "stats", parents=[common],
        help="queue depths by priority bucket, waits, agents by presence, capacity in use",
        description="Real-time statistics (SPEC E2) read from Redis: per queue the items "
        "waiting in each priority bucket, in manual pick and on offer, the oldest and mean "
        "wait of the items at the head of the queue, its agents by presence and the "
        "capacity they use; the service level (share offered within --service-level "
        "seconds over the last hour) when Prometheus is given.",
    )
    stats.add_argument("queue", nargs="?", help="only this queue (default: every queue)")
    stats.add_argument(
        "--service-level", type=float, default=20.0, metavar="SECONDS",
        help=f"service-level threshold, one of the histogram bounds {list(WAIT_BUCKETS)} "
        "(default 20)",
    )
    stats.set_defaults(handler=_cmd_stats)
    explain = commands.add_parser(
        "explain", parents=[common],
        help="an item's state, position and estimated wait, and why it has not been offered",
        description="Explains one work item (SPEC E2, B1): its state and queue, its bucket "
        "and position, an estimated wait (items ahead / the queue's recent offer rate, with "
        "--prometheus), and for a waiting item every agent of its queue with the condition "
        "that filters it (presence, capacity, skills, selectors, exclusions).",
    )
    explain.add_argument("item", help="work item id")
    explain.set_defaults(handler=_cmd_explain)


# --------------------------------------------------------------------------- plumbing


def _tenant(settings: Settings, wanted: str | None) -> Tenant:
    config = load_config(settings.config_path)
    if wanted is None:
        if len(config.tenants) != 1:
            ids = ", ".join(t.id for t in config.tenants)
            raise CommandError(f"--tenant: the configuration has several tenants ({ids})")
        return config.tenants[0]
    for tenant in config.tenants:
        if tenant.id == wanted:
            return tenant
    raise CommandError(f"--tenant {wanted!r}: not in the routing configuration")


def _run(name: str, body: Any) -> int:
    try:
        return int(asyncio.run(body))
    except CommandError as exc:
        print(f"router {name}: {exc}", file=sys.stderr)
        return 2


def _prometheus_value(base: str | None, query: str) -> float | None:
    """One instant query; None when Prometheus is not given, fails or has no sample."""
    if not base:
        return None
    url = f"{base.rstrip('/')}/api/v1/query?{urllib.parse.urlencode({'query': query})}"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            body = json.load(response)
    except (OSError, ValueError) as exc:
        print(f"note: Prometheus at {base} did not answer: {exc}", file=sys.stderr)
        return None
    result = body.get("data", {}).get("result", [])
    if not result:
        return None
    value = float(result[0]["value"][1])
    return None if value != value else value  # NaN: no data in the window


def _fmt_s(seconds: float | None) -> str:
    if seconds is None:
        return "unknown"
    if seconds < 120:
        return f"{seconds:.1f} s"
    return f"{seconds / 60:.1f} min"


# --------------------------------------------------------------------------- stats


def _cmd_stats(settings: Settings, args: argparse.Namespace) -> int:
    return _run("stats", _stats(settings, args))


async def _stats(settings: Settings, args: argparse.Namespace) -> int:
    if args.service_level not in WAIT_BUCKETS:
        raise CommandError(f"--service-level {args.service_level:g}: must be one of the "
                           f"histogram bounds {list(WAIT_BUCKETS)}")
    tenant = _tenant(settings, args.tenant)
    queues = [q for q in tenant.queues if args.queue in (None, q.id)]
    if not queues:
        known = ", ".join(q.id for q in tenant.queues)
        raise CommandError(f"queue {args.queue!r}: not a queue of {tenant.id} ({known})")
    backend = RedisBackend.from_url(settings.redis_url)
    try:
        now = time.time()
        states = [await read_queue(backend.client, tenant.id, q, now) for q in queues]
        offered = await read_offered(backend.client, tenant.id, [q.id for q in queues])
        agents = await read_agents(backend.client, tenant.id)
    finally:
        await backend.aclose()
    rows = [_queue_row(tenant.id, s, offered.get(s.queue, 0), agents, args) for s in states]
    if args.json:
        print(json.dumps({"tenant": tenant.id, "queues": rows,
                          "agents": dict(agents.presence)}, indent=2))
        return 0
    print(f"tenant {tenant.id}: agents "
          + (", ".join(f"{p} {n}" for p, n in sorted(agents.presence.items())) or "none"))
    for row in rows:
        buckets = ", ".join(f"{b} {n}" for b, n in row["depth"].items() if n) or "empty"
        presence = ", ".join(f"{p} {n}" for p, n in sorted(row["agents"].items())) or "none"
        print(f"\nqueue {row['queue']}")
        print(f"  waiting      {row['waiting']} ({buckets}); manual pick {row['manual']}, "
              f"on offer {row['offered']}")
        print(f"  wait         oldest {_fmt_s(row['oldest_wait_s'])}, mean "
              f"{_fmt_s(row['mean_wait_s'])} (of the {row['sampled']} items at the head)")
        print(f"  agents       {presence}; idle {row['idle_agents']}")
        print(f"  capacity     {row['units_used']} of {row['units_total']} units in use"
              + (f" ({row['utilisation']:.0%})" if row["utilisation"] is not None else ""))
        level = row["service_level"]
        shown = "unknown (give --prometheus)" if level is None else f"{level:.1%}"
        print(f"  service level {shown} offered within {args.service_level:g} s "
              "over the last hour")
    return 0


def _queue_row(tenant: str, state: QueueState, offered: int, agents: AgentTally,
               args: argparse.Namespace) -> dict[str, Any]:
    total = agents.units_total.get(state.queue, 0)
    used = agents.units_used.get(state.queue, 0)
    sel = f'tenant="{tenant}",queue="{state.queue}"'
    le = repr(float(args.service_level))  # the bucket label as the client writes it
    level = _prometheus_value(
        args.prometheus,
        f'sum(increase(router_item_to_offer_seconds_bucket{{{sel},le="{le}"}}'
        f"[1h])) / sum(increase(router_item_to_offer_seconds_count{{{sel}}}[1h]))",
    )
    return {
        "queue": state.queue,
        "waiting": state.total,
        "depth": state.depth,
        "manual": state.manual,
        "offered": offered,
        "oldest_wait_s": state.oldest_wait if state.ages else None,
        "mean_wait_s": sum(state.ages) / len(state.ages) if state.ages else None,
        "sampled": len(state.ages),
        "agents": dict(agents.queue_presence.get(state.queue, {})),
        "idle_agents": agents.idle.get(state.queue, 0),
        "units_used": used,
        "units_total": total,
        "utilisation": used / total if total else None,
        "service_level": level,
    }


# --------------------------------------------------------------------------- explain


def _cmd_explain(settings: Settings, args: argparse.Namespace) -> int:
    return _run("explain", _explain(settings, args))


async def _explain(settings: Settings, args: argparse.Namespace) -> int:
    tenant = _tenant(settings, args.tenant)
    backend = RedisBackend.from_url(settings.redis_url)
    try:
        report = await explain_report(backend, tenant, args.item, time.time(), args.prometheus)
    finally:
        await backend.aclose()
    if args.json:
        print(json.dumps(report, indent=2, default=str))
    else:
        print("\n".join(format_report(report)))
    return 0 if report["found"] else 1


async def explain_report(backend: RedisBackend, tenant: Tenant, item_id: str, now: float,
                         prometheus: str | None = None) -> dict[str, Any]:
    """Everything `router explain` prints, as plain data (the tests read it)."""
    record = await backend.tenant(tenant.id).get_item(item_id)
    if record is None:
        return {"found": False, "item": item_id, "tenant": tenant.id}
    out: dict[str, Any] = {
        "found": True, "item": item_id, "tenant": tenant.id, "state": record.state,
        "queue": record.queue, "agent": record.agent_id, "offer": record.offer_id,
        "waited_s": max(0.0, record.item.age(now)),
    }
    queues = {q.id: q for q in tenant.queues}
    queue: Queue | None = queues.get(record.queue or "")
    if record.state not in ("queued", "manual") or queue is None or record.member is None:
        return out
    index = keys.queue_items if record.state == "queued" else keys.queue_manual
    rank: Any = await backend.client.zrank(index(tenant.id, queue.id), record.member)
    ahead: int | None = None if rank is None else int(rank)
    out["position"] = None if ahead is None else ahead + 1
    rate = _prometheus_value(
        prometheus, f'sum(rate(router_offers_total{{tenant="{tenant.id}",queue="{queue.id}",'
        f'outcome="issued"}}[{RATE_WINDOW}]))')
    out["offers_per_s"] = rate
    out["estimated_wait_s"] = ahead / rate if ahead is not None and rate else None
    workstream = next((w for w in tenant.workstreams if w.id == record.item.workstream), None)
    if workstream is None:
        out["why"] = f"its workstream {record.item.workstream!r} is not configured"
        return out
    agents = await read_queue_agents(backend.client, tenant.id, queue.id)
    report = explain_item(record.item, queue, workstream, agents, now)
    out.update(
        assignable=report.assignable,
        status=report.status,
        bucket=dict(bucket_names(queue)).get(report.bucket, str(report.bucket)),
        active_requirements=list(report.active_requirements),
        relaxed_requirements=list(report.relaxed_requirements),
        filtered=dict(report.filtered),
        rule_matches=dict(report.rule_matches),
        agents=[{"agent": v.agent, "eligible": v.eligible, "reason": v.reason, "rank": v.rank}
                for v in report.agents],
    )
    if record.state == "manual":
        out["why"] = "excluded from auto-assignment after too many declines; waits for a pick"
    elif not agents:
        out["why"] = f"queue {queue.id} has no registered agents"
    elif not report.assignable:
        parts = ", ".join(f"{reason} ({n} agent{'s' if n != 1 else ''})"
                          for reason, n in sorted(report.filtered.items(), key=lambda x: -x[1]))
        out["why"] = f"{report.status}: every agent is filtered out: {parts}"
    else:
        out["why"] = ("an agent is eligible now; the next cycle (arrival, a freed agent or "
                      "the queue sweep) offers it")
    return out


def format_report(report: dict[str, Any]) -> list[str]:
    if not report["found"]:
        return [f"item {report['item']}: not found for tenant {report['tenant']}"]
    lines = [f"item {report['item']} (tenant {report['tenant']})",
             f"  state          {report['state']}" + (
                 f" (agent {report['agent']})" if report.get("agent") else ""),
             f"  queue          {report['queue'] or '-'}",
             f"  waiting for    {_fmt_s(report['waited_s'])}"]
    if "position" in report:
        lines.append(f"  position       {report['position']}")
        rate = report.get("offers_per_s")
        lines.append(f"  estimated wait {_fmt_s(report.get('estimated_wait_s'))}" + (
            f" (queue offers {rate * 60:.1f}/min)" if rate else
            " (needs --prometheus and recent offers from the queue)"))
    if "status" in report:
        lines.append(f"  bucket         {report['bucket']}")
        if report["active_requirements"]:
            lines.append("  requires       " + ", ".join(report["active_requirements"]))
        if report["relaxed_requirements"]:
            lines.append("  relaxed        " + ", ".join(report["relaxed_requirements"]))
        for verdict in report["agents"]:
            lines.append(f"    {verdict['agent']:<24} " + (
                f"eligible, rank {verdict['rank']}" if verdict["eligible"]
                else f"filtered: {verdict['reason']}"))
    if "why" in report:
        lines.append(f"  why            {report['why']}")
    return lines
