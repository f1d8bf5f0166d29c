"""One Redis connection shared by every script call of a worker, requests pipelined on it.

Why not redis-py's pipeline: measured on this machine, it costs about 50 us of Python per
pipelined EVALSHA (command packing, response callbacks, connection checkout), against
about 15 us for hiredis packing and parsing the same commands here. A worker makes
several script calls per event, so that difference was a fifth of its time.

Redis answers the requests of one connection in the order it received them, so callers
write their (already packed) requests and queue a slot; one reader task parses the
replies and hands each slot its share. Reply errors (a script's error, NOSCRIPT) are
returned as values, one per command, for the caller to raise; a lost connection fails
every queued slot with redis-py's ConnectionError (retried by the input handling) and
the next call connects again. A connection belongs to the event loop that opened it; a
call from another loop (tests run several) opens its own.

A Redis that stops answering without closing (a stuck script elsewhere, a paused
process, a network that drops packets) would hold every caller for as long as it lasts:
keepalive notices a dead peer only after minutes. So a watchdog drops the connection
when requests are waiting and no reply has come for `reply_timeout_s`, failing every
queued slot with redis-py's TimeoutError (retried like a lost connection). One slot
cannot time out alone: the replies after it would go to the wrong callers. The watchdog
looks a few times per timeout; the hot path only notes the time of each reply.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import hiredis
from redis._parsers.base import BaseParser
from redis.exceptions import AuthenticationError, ResponseError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

_MORE = object()  # hiredis: no complete reply buffered yet


def pack(command: Sequence[Any]) -> bytes:
    """One command in the Redis protocol (raises for an argument it cannot carry)."""
    return hiredis.pack_command(tuple(command))  # type: ignore[no-any-return]


READ_CHUNK = 1 << 16
CLIENT_NAME = "router-scripts"
REPLY_TIMEOUT_S = 10.0
"""Default longest wait for a reply while requests are out: twice Redis's own limit on a
script's run (lua-time-limit, 5 s), after which Redis answers BUSY anyway."""
CONNECT_TIMEOUT_S = 5.0
"""Default longest wait for a connection to Redis to open."""
WATCH_STEPS = 4
"""Looks per timeout: a stalled connection is dropped within 1.25 timeouts."""


def reply_error(message: str) -> ResponseError:
    """The redis-py exception for an error reply, mapped as redis-py maps it (NOSCRIPT,
    LOADING (a ConnectionError, so retried), READONLY, ...)."""
    return BaseParser.parse_error(message)  # type: ignore[no-any-return,no-untyped-call]


@dataclass
class _Slot:
    count: int
    future: asyncio.Future[list[Any]]
    replies: list[Any] = field(default_factory=list)


class MultiplexedConnection:
    def __init__(self, host: str, port: int, *, db: int = 0, username: str | None = None,
                 password: str | None = None, connect_timeout_s: float = CONNECT_TIMEOUT_S,
                 reply_timeout_s: float = REPLY_TIMEOUT_S) -> None:
        if reply_timeout_s <= 0:
            raise ValueError(f"reply_timeout_s {reply_timeout_s}: must be positive")
        self._host = host
        self._port = port
        self._db = db
        self._username = username
        self._password = password
        self._connect_timeout_s = connect_timeout_s
        self._reply_timeout_s = reply_timeout_s
        self._answered_at = 0.0
        """Loop time of the last reply, or of the request that found nothing waiting."""
        self._watch: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._reading: asyncio.Task[None] | None = None
        self._slots: deque[_Slot] = deque()
        self._connecting: asyncio.Lock | None = None
        self.connects = 0
        """Connections opened so far (a reconnect may mean a restarted Redis)."""

    async def execute(self, packed: Sequence[bytes]) -> list[Any]:
        """The replies to the commands `packed` (by `pack`), in order; error replies as
        exception values. Packing is the caller's, before anything is queued: a command
        that cannot be packed must fail alone, not shift every later reply."""
        future = self.send_now(packed)
        if future is None:
            await self._connected()
            future = self.send_now(packed)
            if future is None:  # lost again at once: fail as a lost connection does
                raise RedisConnectionError("Redis connection closed while connecting")
        await self.drained()
        return await future

    def send_now(self, packed: Sequence[bytes]) -> asyncio.Future[list[Any]] | None:
        """Writes the commands at once, without a turn of the event loop, and returns
        the future of their replies; None when there is no open connection of this loop
        to write on (`execute` connects first). Why: a caller that has just finished a
        large command should have Redis start on it while the worker prepares the next,
        not one or more loop turns later, behind whatever else the loop has ready."""
        writer = self._writer
        loop = asyncio.get_running_loop()
        if writer is None or self._loop is not loop or writer.is_closing():
            return None
        future: asyncio.Future[list[Any]] = loop.create_future()
        if not self._slots:  # the wait for a reply starts now, not at the last one
            self._answered_at = loop.time()
        self._slots.append(_Slot(len(packed), future))
        try:
            writer.write(b"".join(packed))
        except BaseException as exc:  # the slot may be half written: start afresh
            self._abandon(RedisConnectionError(f"Redis write failed: {exc!r}"))
            if future.done():
                future.exception()  # failed with the others; the caller has the raise
            raise
        return future

    async def drained(self) -> None:
        """Waits while more than a few reads' worth of requests are still unsent, so a
        Redis that falls behind slows its callers instead of growing the buffer."""
        writer = self._writer
        if (writer is None or self._loop is not asyncio.get_running_loop()
                or writer.transport.get_write_buffer_size() <= 4 * READ_CHUNK):
            return  # another loop's connection is dropped by the next write, not here
        try:
            await writer.drain()
        except Exception as exc:  # the connection is gone; a cancel leaves it be
            if self._writer is writer:
                self._abandon(RedisConnectionError(f"Redis write failed: {exc!r}"))
            raise RedisConnectionError(f"Redis write failed: {exc!r}") from exc

    async def _connected(self) -> asyncio.StreamWriter:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # first use, or a new event loop: start afresh
            self._abandon(RedisConnectionError("Redis connection of another event loop"))
            self._loop, self._connecting = loop, asyncio.Lock()
        writer = self._writer
        if writer is not None and not writer.is_closing():
            return writer
        assert self._connecting is not None
        async with self._connecting:
            if self._writer is None or self._writer.is_closing():
                await self._open()
            assert self._writer is not None
            return self._writer

    async def _open(self) -> None:
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(self._host, self._port), self._connect_timeout_s)
        except (OSError, TimeoutError) as exc:
            raise RedisConnectionError(
                f"cannot connect to Redis at {self._host}:{self._port}: {exc}") from exc
        sock = writer.get_extra_info("socket")
        if sock is not None:  # a half-open connection must end, not hang its callers
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        parser = hiredis.Reader(replyError=reply_error, notEnoughData=_MORE)
        try:
            await self._hello(reader, writer, parser)
        except BaseException:
            writer.close()
            raise
        self._writer = writer
        self.connects += 1
        loop = asyncio.get_running_loop()
        self._reading = loop.create_task(self._read_replies(reader, writer, parser))
        self._watch_later(loop, writer)

    def _watch_later(self, loop: asyncio.AbstractEventLoop,
                     writer: asyncio.StreamWriter) -> None:
        self._watch = loop.call_later(self._reply_timeout_s / WATCH_STEPS,
                                      self._check_replies, loop, writer)

    def _check_replies(self, loop: asyncio.AbstractEventLoop,
                       writer: asyncio.StreamWriter) -> None:
        """Drop `writer`'s connection if requests wait and Redis has not answered for
        the reply timeout; else look again later (while it is the current one)."""
        if self._writer is not writer:
            return
        waited = loop.time() - self._answered_at
        if self._slots and waited >= self._reply_timeout_s:
            writer.transport.abort()  # requests not yet sent go too: nobody waits for them
            self._abandon(RedisTimeoutError(
                f"Redis at {self._host}:{self._port} sent no reply for {waited:.1f} s; "
                "connection dropped"))
            return
        self._watch_later(loop, writer)

    async def _hello(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                     parser: Any) -> None:
        commands: list[tuple[Any, ...]] = []
        if self._password is not None:
            commands.append(("AUTH", self._username, self._password) if self._username
                            else ("AUTH", self._password))
        if self._db:
            commands.append(("SELECT", self._db))
        commands.append(("CLIENT", "SETNAME", CLIENT_NAME))  # visible in CLIENT LIST
        writer.write(b"".join(pack(c) for c in commands))
        replies: list[Any] = []
        while len(replies) < len(commands):
            data = await asyncio.wait_for(reader.read(READ_CHUNK), self._connect_timeout_s)
            if not data:
                raise RedisConnectionError("Redis closed the connection while connecting")
            parser.feed(data)
            while (reply := parser.gets()) is not _MORE:
                replies.append(reply)
        for command, reply in zip(commands, replies, strict=True):
            if isinstance(reply, ResponseError):
                if command[0] == "AUTH":
                    raise AuthenticationError(str(reply))
                raise reply

    async def _read_replies(self, reader: asyncio.StreamReader,
                            writer: asyncio.StreamWriter, parser: Any) -> None:
        loop_time = asyncio.get_running_loop().time
        try:
            while True:
                data = await reader.read(READ_CHUNK)
                if not data:
                    raise RedisConnectionError("Redis closed the connection")
                parser.feed(data)
                self._answered_at = loop_time()
                while (reply := parser.gets()) is not _MORE:
                    slot = self._slots[0]
                    slot.replies.append(reply)
                    if len(slot.replies) == slot.count:
                        self._slots.popleft()
                        if not slot.future.done():  # else its caller was cancelled
                            slot.future.set_result(slot.replies)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            failure = exc if isinstance(exc, RedisConnectionError) else RedisConnectionError(
                f"Redis connection failed: {exc!r}")
            if self._writer is writer:
                self._writer = None
                self._fail_slots(failure)
            writer.close()

    def _fail_slots(self, error: Exception) -> None:
        while self._slots:
            slot = self._slots.popleft()
            if not slot.future.done():
                with contextlib.suppress(RuntimeError):  # its loop is closed
                    slot.future.set_exception(error)

    def _abandon(self, error: Exception) -> None:
        """Drop the connection without waiting (its loop may be gone)."""
        if self._watch is not None:
            with contextlib.suppress(RuntimeError):  # its loop is closed
                self._watch.cancel()
            self._watch = None
        if self._reading is not None:
            with contextlib.suppress(RuntimeError):  # its loop is closed
                self._reading.cancel()
        if self._writer is not None:
            with contextlib.suppress(RuntimeError):
                self._writer.close()
        self._reading = self._writer = None
        self._fail_slots(error)

    async def aclose(self) -> None:
        reading, writer = self._reading, self._writer
        self._abandon(RedisConnectionError("Redis connection closed"))
        if reading is not None and self._loop is asyncio.get_running_loop():
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reading
        if writer is not None and self._loop is asyncio.get_running_loop():
            with contextlib.suppress(Exception):
                await writer.wait_closed()
