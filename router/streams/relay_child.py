"""The outbox relay's own process, started and supervised by a worker (relay_process.py).

Why a process and not a thread of the worker: the relay's work is mostly waiting (for
Redis, for the broker's acknowledgements in librdkafka's flush), and in the worker every
return from a wait queued for the interpreter lock behind input handling and Faust's
consumer thread. Profiled at 1,000 items/s, those hand-overs were most of the tail of
the publish-to-offer latency; with its own interpreter the relay picks an output up as
soon as the commit that wrote it wakes it.

It learns of new outputs from Redis, not from the worker: a commit that finds every
earlier outbox slot published publishes on the tenant's wake channel, in the same script
(lua/_lib.lua), so the relay hears of it as the commit happens (not when the worker's loop
gets round to the reply) and hears of every worker's commits, not only its own. A commit
that finds slots still unpublished needs no wake: the relay takes it with its next
acknowledgement. The poll (`IDLE_S`) stays as the fallback.

The worker talks to it over two pipes: a byte on stdin asks for the exposition
(`METRICS`), and one JSON object per line on stdout answers (`ready`, `holding`: the
tenants whose lease it holds, `metrics`: the exposition text). The end of stdin ends the
process after a final round and the release of its leases, so a worker killed outright
still hands its tenants over at once. Logs go to stderr, the worker's log.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence
from typing import Any

import orjson
from prometheus_client import generate_latest
from redis.exceptions import RedisError

from router.config.load import load_config
from router.observability.outputs import init_tenant_series, observe_outputs
from router.observability.relay_metrics import relay_registry
from router.settings import Settings
from router.state import keys
from router.state.outbox import RedisOutbox
from router.state.redis_store import RedisBackend
from router.streams.output_producer import OutputProducer
from router.streams.quiet_gc import quiet_gc
from router.streams.relay import OutboxRelay

log = logging.getLogger(__name__)

METRICS = b"m"
FINAL_ROUND_S = 5.0
IDLE_S = 0.2
"""The poll while holding a lease: only a fallback (a wake lost with the subscription),
since commits and fills wake the relay themselves."""
WAKE_WAIT_S = 1.0
"""Longest single wait for a wake message (a bound on each read, not on the wake)."""
RESUBSCRIBE_S = 1.0
HOLDING_CHECK_S = 0.25
"""How often the tenants held are compared with the last ones told to the worker (its
state collector reads them every few seconds)."""


class Replies:
    """Writes to the worker, blocking: a reply is a line, and only the metrics are long
    enough to fill the pipe, which the worker reads continuously."""

    def __init__(self, fd: int, stopping: asyncio.Event) -> None:
        self._fd = fd
        self._stopping = stopping

    def send(self, **message: Any) -> None:
        data = memoryview(orjson.dumps(message) + b"\n")
        try:
            while data:
                data = data[os.write(self._fd, data):]
        except BrokenPipeError:  # the worker is gone: finish up as if told to stop
            self._stopping.set()


class Commands(asyncio.Protocol):
    def __init__(self, send_metrics: Callable[[], None], stopping: asyncio.Event) -> None:
        self._send_metrics = send_metrics
        self._stopping = stopping

    def data_received(self, data: bytes) -> None:
        for _ in range(data.count(METRICS)):
            self._send_metrics()

    def eof_received(self) -> bool:
        self._stopping.set()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._stopping.set()


async def _wake_on_commits(client: Any, channels: Sequence[str], relay: OutboxRelay) -> None:
    while True:
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(*channels)
            relay.wake()  # for commits made while not listening
            while True:
                if await pubsub.get_message(timeout=WAKE_WAIT_S) is not None:
                    relay.wake()
        except (RedisError, OSError) as exc:  # the poll publishes meanwhile
            log.warning("wake channel lost (%s); subscribing again", exc)
            await asyncio.sleep(RESUBSCRIBE_S)
        finally:
            await pubsub.aclose()


async def _tell_holding(relay: OutboxRelay, replies: Replies) -> None:
    told: set[str] | None = None
    while True:
        if relay.holding != told:
            told = set(relay.holding)
            replies.send(holding=sorted(told))
        await asyncio.sleep(HOLDING_CHECK_S)


async def serve(settings: Settings, owner: str, replies_fd: int) -> None:
    config = load_config(settings.config_path)
    init_tenant_series(config.tenants)
    registry = relay_registry()
    backend = RedisBackend.from_url(settings.redis_url)
    producer = OutputProducer(settings.kafka_bootstrap)
    tenants = sorted(t.id for t in config.tenants)
    relay = OutboxRelay([RedisOutbox(backend, t, owner) for t in tenants],
                        producer.send_batch, settings.topic_prefix, observe=observe_outputs,
                        idle_s=IDLE_S)
    stopping = asyncio.Event()
    replies = Replies(replies_fd, stopping)
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stopping.set)
    await loop.connect_read_pipe(
        lambda: Commands(lambda: replies.send(metrics=generate_latest(registry).decode()),
                         stopping),
        sys.stdin)
    helpers = [
        asyncio.create_task(_wake_on_commits(
            backend.client, [keys.outbox_wake(t) for t in tenants], relay)),
        asyncio.create_task(_tell_holding(relay, replies)),
    ]
    quiet_gc()
    replies.send(ready=True)
    log.info("outbox relay started for %d tenants", len(tenants))
    try:
        await relay.run(stopping)
        try:
            await asyncio.wait_for(relay.run_once(), FINAL_ROUND_S)
            await relay.release()
        except Exception:  # the next holder publishes whatever is left
            log.exception("final outbox relay round failed")
    finally:
        for helper in helpers:
            helper.cancel()
        replies.send(holding=[])
        left = producer.close()
        if left:  # unacknowledged, so the next lease holder publishes them again
            log.warning("%d output records were not delivered before stopping", left)
        await backend.aclose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m router.streams.relay_child",
        description="The outbox relay of a router worker, which starts it: reads one-byte "
                    "commands on stdin, answers with JSON lines on stdout, and stops after "
                    "a final round when stdin ends. Settings come from the ROUTER_* "
                    "variables, as for the worker.")
    parser.add_argument("--owner", required=True,
                        help="the lease owner name (the worker's, unique per process)")
    parser.add_argument("--loglevel", default="info")
    args = parser.parse_args(argv)
    # Ctrl-C reaches the whole process group: the worker stops first and then ends this
    # process through its stdin, after its last commits.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    replies_fd = os.dup(1)
    os.dup2(2, 1)  # a stray print must not break the replies
    logging.basicConfig(
        level=args.loglevel.upper(), stream=sys.stderr,
        format="[%(asctime)s] [%(process)d] [%(levelname)s] outbox relay: %(message)s")
    asyncio.run(serve(Settings.from_env(), args.owner, replies_fd))
    return 0


if __name__ == "__main__":
    sys.exit(main())
