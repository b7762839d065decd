"""Relay of a generation's token stream from its job to any number of watchers, late joiners included.

Producers publish one "delta" per upstream chunk, "reset" when they start over (a retry: watchers discard the text
so far), and finally one "done" or "error". Every subscriber stops at the first "done"/"error", so anything published
after it is stored but never delivered.

`subscribe(stream_id, after=n)` replays the events with seq > n, then follows live, exactly once and in order. It
ends after yielding "done" or "error", or *without* a terminal event when nothing arrives for `idle_timeout` seconds
(unknown or expired stream, a stalled producer, history trimmed away, or the broker closed). Then the caller falls
back to the database, or subscribes again with `after=` the last seq it saw.

A stream is forgotten `ttl_seconds` after its last event: ttl after "done"/"error", and abandoned streams too.

`InProcessBroker` serves the one-process default (no REDIS_URL); it is bound to one event loop and uses no threads.
`RedisBroker` uses Redis Streams (Redis 7+), so a producer in an arq worker reaches watchers on every web replica;
use one broker per event loop.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import OrderedDict
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

__all__ = [
    "EVENT_KINDS",
    "InProcessBroker",
    "RedisBroker",
    "StreamEvent",
    "TERMINAL_KINDS",
    "TokenBroker",
    "make_broker",
    "stream_key",
]

log = logging.getLogger("contextjson.broker")

EVENT_KINDS = frozenset({"delta", "reset", "done", "error"})
TERMINAL_KINDS = frozenset({"done", "error"})

DEFAULT_TTL_SECONDS = 600.0
DEFAULT_IDLE_TIMEOUT = 30.0
# Far above any real generation (one entry per upstream chunk, ~1 token), yet bounds a runaway producer's memory.
DEFAULT_MAXLEN = 250_000


@dataclass(frozen=True)
class StreamEvent:
    """One event of a stream: `seq` is its position, assigned by the broker, strictly increasing from 1."""

    kind: str  # "delta" (text appended) | "reset" (producer restarted: discard text so far) | "done" | "error"
    data: str = ""  # delta text, or error message; for "done" an optional JSON string
    seq: int = 0

    @property
    def is_terminal(self) -> bool:
        """True for "done" and "error", after which a subscription ends."""
        return self.kind in TERMINAL_KINDS


class TokenBroker(Protocol):
    async def publish(self, stream_id: str, kind: str, data: str = "") -> None: ...

    def subscribe(self, stream_id: str, *, after: int = 0) -> AsyncIterator[StreamEvent]: ...

    async def close(self) -> None: ...


def make_broker(redis_url: str | None) -> TokenBroker:
    """Redis Streams when REDIS_URL is set (jobs may run in other processes), otherwise in memory."""
    return RedisBroker(redis_url) if redis_url else InProcessBroker()


def stream_key(stream_id: str) -> str:
    """The Redis key holding a stream."""
    return f"cj:stream:{stream_id}"


def _check_kind(kind: str) -> None:
    """Reject kinds watchers would not understand, at the producer, where the bug is."""
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown stream event kind {kind!r}; expected one of {sorted(EVENT_KINDS)}")


def _check_after(after: int) -> None:
    """Reject a resume position that cannot come from a seq."""
    if after < 0:
        raise ValueError(f"after must be >= 0, got {after}")


# --------------------------------------------------------------------------------------------------- in process


class _Stream:
    """One stream's history and the event its waiters sleep on."""

    __slots__ = ("events", "changed", "expires_at", "watchers", "closed")

    def __init__(self, expires_at: float) -> None:
        self.events: list[StreamEvent] = []
        self.changed = asyncio.Event()
        self.expires_at = expires_at
        self.watchers = 0
        self.closed = False

    def wake(self) -> None:
        """Wake every waiter now; later waiters sleep on a fresh event."""
        # Swapping (not set + clear) gives each wait its own generation, so a wake-up can never be missed or repeated.
        changed, self.changed = self.changed, asyncio.Event()
        changed.set()


class InProcessBroker:
    """Streams kept in this process's memory; waiters are woken directly by `publish`, no polling."""

    def __init__(self, *, ttl_seconds: float = DEFAULT_TTL_SECONDS, idle_timeout: float = DEFAULT_IDLE_TIMEOUT) -> None:
        self._ttl = ttl_seconds
        self._idle_timeout = idle_timeout
        # Ordered by expiry: every expiry is "now + ttl" when set, so moving a touched stream to the end keeps the
        # order, and expiring is popping from the front (O(1) amortised, no timers or tasks).
        self._streams: OrderedDict[str, _Stream] = OrderedDict()
        self._closed = False

    async def publish(self, stream_id: str, kind: str, data: str = "") -> None:
        """Append an event and wake the stream's watchers."""
        _check_kind(kind)
        if self._closed:
            raise RuntimeError("broker is closed")
        stream = self._touch(stream_id)
        stream.events.append(StreamEvent(kind, data, len(stream.events) + 1))
        stream.wake()

    def subscribe(self, stream_id: str, *, after: int = 0) -> AsyncGenerator[StreamEvent, None]:
        """Events with seq > `after`, then live ones, until done/error or `idle_timeout` seconds of silence."""
        _check_after(after)
        return self._follow(stream_id, after)

    async def close(self) -> None:
        """Forget every stream and end every subscription."""
        self._closed = True
        for stream in self._streams.values():
            stream.closed = True
            stream.wake()
        self._streams.clear()

    async def _follow(self, stream_id: str, after: int) -> AsyncGenerator[StreamEvent, None]:
        """The body of `subscribe`."""
        if self._closed:
            return
        stream = self._attach(stream_id)
        stream.watchers += 1
        try:
            position = after  # seq n is stored at index n - 1, so the first event wanted sits at index `after`
            while True:
                while position < len(stream.events) and not stream.closed:
                    event = stream.events[position]
                    position += 1
                    yield event
                    if event.is_terminal:
                        return
                if stream.closed or not await self._wait(stream):
                    return
        finally:
            stream.watchers -= 1
            self._detach(stream_id, stream)

    async def _wait(self, stream: _Stream) -> bool:
        """Sleep until the stream changes; False after `idle_timeout` seconds without a change."""
        try:
            async with asyncio.timeout(self._idle_timeout):
                await stream.changed.wait()
        except TimeoutError:
            return False
        return True

    def _touch(self, stream_id: str) -> _Stream:
        """The stream to publish to (created if needed), its expiry pushed to ttl from now."""
        now = time.monotonic()
        self._expire(now)
        stream = self._streams.get(stream_id)
        if stream is None:
            stream = self._streams[stream_id] = _Stream(now)
        else:
            self._streams.move_to_end(stream_id)
        stream.expires_at = now + self._ttl
        return stream

    def _attach(self, stream_id: str) -> _Stream:
        """The stream to watch; an unknown one is created empty so the first publish wakes its watchers."""
        now = time.monotonic()
        self._expire(now)
        stream = self._streams.get(stream_id)
        if stream is None:
            # Watching does not extend an existing stream's life ("ttl after done"); a new one goes last in order.
            stream = self._streams[stream_id] = _Stream(now + self._ttl)
        return stream

    def _detach(self, stream_id: str, stream: _Stream) -> None:
        """Drop a stream nobody published to once its last watcher gave up, so stray ids cost no memory."""
        if not stream.events and stream.watchers == 0 and self._streams.get(stream_id) is stream:
            del self._streams[stream_id]

    def _expire(self, now: float) -> None:
        """Forget streams whose ttl has passed; anyone still watching one ends."""
        while self._streams:
            stream = next(iter(self._streams.values()))
            if stream.expires_at > now:
                return
            self._streams.popitem(last=False)
            stream.closed = True
            stream.wake()


# --------------------------------------------------------------------------------------------------------- redis


class RedisBroker:
    """Streams kept in Redis Streams: XADD per event, XREAD BLOCK per follower, one connection pool per broker."""

    def __init__(
        self,
        redis_url: str,
        *,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
        maxlen: int = DEFAULT_MAXLEN,
        block_ms: int = 1000,
        read_count: int = 1000,
    ) -> None:
        # from_url gives this client a pool of its own, closed with it.
        self._redis: Redis = Redis.from_url(redis_url, decode_responses=True)
        self._ttl_ms = max(1, round(ttl_seconds * 1000))
        self._idle_timeout = idle_timeout
        self._maxlen = maxlen
        self._block_ms = block_ms
        self._read_count = read_count
        self._closed = False

    async def publish(self, stream_id: str, kind: str, data: str = "") -> None:
        """Append an event in one round trip (XADD + PEXPIRE pipelined)."""
        _check_kind(kind)
        if self._closed:
            raise RuntimeError("broker is closed")
        key = stream_key(stream_id)
        pipe = self._redis.pipeline(transaction=False)
        # "0-*" makes Redis number the entries 0-1, 0-2, ...: the entry id is the seq, assigned atomically by the
        # server whichever process publishes, with no counter key or script.
        pipe.xadd(key, {"k": kind, "d": data}, id="0-*", maxlen=self._maxlen, approximate=True)
        # Renewed on every event, so the key lives ttl after done/error, and an abandoned stream ttl after its last.
        pipe.pexpire(key, self._ttl_ms)
        await pipe.execute()

    def subscribe(self, stream_id: str, *, after: int = 0) -> AsyncGenerator[StreamEvent, None]:
        """Events with seq > `after`, then live ones, until done/error or `idle_timeout` seconds of silence."""
        _check_after(after)
        return self._follow(stream_key(stream_id), after)

    async def close(self) -> None:
        """Close the connection pool; followers blocked in XREAD end."""
        self._closed = True
        await self._redis.aclose()

    async def _follow(self, key: str, after: int) -> AsyncGenerator[StreamEvent, None]:
        """The body of `subscribe`: replay and live are the same XREAD, which returns at once when entries exist."""
        last = after
        silent_until = time.monotonic() + self._idle_timeout
        while not self._closed:
            remaining = silent_until - time.monotonic()
            if remaining <= 0:
                return
            entries = await self._read(key, last, remaining)
            for entry_id, fields in entries:
                seq = int(entry_id.partition("-")[2])
                if seq != last + 1:
                    # Trimmed by MAXLEN (or expired and begun anew): the text would have a hole, so hand over to the DB.
                    log.warning("stream %s jumps from seq %d to %d; ending subscription", key, last, seq)
                    return
                last = seq
                event = StreamEvent(fields.get("k", ""), fields.get("d", ""), seq)
                yield event
                if event.is_terminal:
                    return
            if entries:
                silent_until = time.monotonic() + self._idle_timeout

    async def _read(self, key: str, last: int, remaining: float) -> list[tuple[str, dict[str, str]]]:
        """Entries after seq `last`, waiting at most one short block (so close and idle_timeout are noticed)."""
        block_ms = max(1, min(self._block_ms, math.ceil(remaining * 1000)))
        try:
            response = await self._redis.xread({key: f"0-{last}"}, count=self._read_count, block=block_ms)
        except RedisConnectionError:
            if self._closed:  # close() disconnected the pool under this read
                return []
            raise
        return _entries(response, key)


def _entries(response: Any, key: str) -> list[tuple[str, dict[str, str]]]:
    """The entries of one key from an XREAD reply, RESP2 (list of [key, entries]) or RESP3 ({key: [entries]})."""
    if not response:
        return []
    if isinstance(response, dict):
        batches = response.get(key) or [[]]
        return list(batches[0])
    for stream_name, entries in response:
        if stream_name == key:
            return list(entries)
    return []
