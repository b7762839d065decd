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
`RedisBroker` (app/results/redis_broker.py) uses Redis Streams (Redis 7+), so a producer in an arq worker reaches
watchers on every web replica; use one broker per event loop. However many watch, a RedisBroker reads with one
XREAD loop and a bounded connection pool, and refuses watchers beyond its cap with `TooManyWatchers` (raised by
`subscribe` itself, before anything is yielded).
"""

from __future__ import annotations

import asyncio
import logging
import time
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from enum import StrEnum
from operator import attrgetter
from typing import Protocol, runtime_checkable

from app.errors import AppError

__all__ = [
    "EVENT_KINDS",
    "EventKind",
    "InProcessBroker",
    "StreamEvent",
    "TERMINAL_KINDS",
    "TokenBroker",
    "TooManyWatchers",
    "make_broker",
    "stream_key",
]

log = logging.getLogger("contextjson.broker")


class EventKind(StrEnum):
    """What one stream event says."""

    DELTA = "delta"  # text appended
    RESET = "reset"  # the producer restarted: discard the text so far
    DONE = "done"
    ERROR = "error"


EVENT_KINDS = frozenset(EventKind)
TERMINAL_KINDS = frozenset({EventKind.DONE, EventKind.ERROR})

DEFAULT_TTL_SECONDS = 600.0
DEFAULT_IDLE_TIMEOUT = 30.0
# Far above any real generation (one entry per upstream chunk, ~1 token), yet bounds a runaway producer's memory.
DEFAULT_MAXLEN = 250_000


@dataclass(frozen=True)
class StreamEvent:
    """One event of a stream: `seq` is its position, assigned by the broker, strictly increasing from 1."""

    kind: EventKind
    data: str = ""  # delta text, or error message; for "done" an optional JSON string
    seq: int = 0

    @property
    def is_terminal(self) -> bool:
        """True for "done" and "error", after which a subscription ends."""
        return self.kind in TERMINAL_KINDS


@runtime_checkable  # handlers receive it as a dependency, which Litestar checks with isinstance
class TokenBroker(Protocol):
    async def publish(self, stream_id: str, kind: EventKind, data: str = "") -> None: ...

    def subscribe(self, stream_id: str, *, after: int = 0) -> AsyncIterator[StreamEvent]: ...

    async def close(self) -> None: ...


class TooManyWatchers(AppError):
    """This process already follows as many live streams as it allows; the watcher should come back later."""

    status_code = 503
    code = "stream.busy"
    title = "Too many live answers are being watched here"


def make_broker(redis_url: str | None) -> TokenBroker:
    """Redis Streams when REDIS_URL is set (jobs may run in other processes), otherwise in memory."""
    if not redis_url:
        return InProcessBroker()
    from app.results.redis_broker import RedisBroker  # the Redis broker builds on this module

    return RedisBroker(redis_url)


def stream_key(stream_id: str) -> str:
    """The Redis key holding a stream."""
    return f"cj:stream:{stream_id}"


def check_kind(kind: str) -> EventKind:
    """Reject kinds watchers would not understand, at the producer, where the bug is."""
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown stream event kind {kind!r}; expected one of {sorted(EVENT_KINDS)}")
    return EventKind(kind)


def check_after(after: int) -> None:
    """Reject a resume position that cannot come from a seq."""
    if after < 0:
        raise ValueError(f"after must be >= 0, got {after}")


class EventBuffer:
    """The events of one stream known to this process, and the event its waiters sleep on (both brokers use it)."""

    __slots__ = ("events", "changed", "watchers", "closed")

    def __init__(self) -> None:
        self.events: list[StreamEvent] = []  # strictly increasing seqs
        self.changed = asyncio.Event()
        self.watchers = 0
        self.closed = False

    def wake(self) -> None:
        """Wake every waiter now; later waiters sleep on a fresh event."""
        # Swapping (not set + clear) gives each wait its own generation, so a wake-up can never be missed or repeated.
        changed, self.changed = self.changed, asyncio.Event()
        changed.set()

    def close(self) -> None:
        """End every subscription to this buffer."""
        self.closed = True
        self.wake()


class Position:
    """One subscriber's place in an EventBuffer: hands out the events after `after`, each once, in order."""

    __slots__ = ("_buffer", "_last", "_index", "_idle_timeout")

    def __init__(self, buffer: EventBuffer, after: int, idle_timeout: float) -> None:
        self._buffer = buffer
        self._last = after
        self._index = bisect_right(buffer.events, after, key=attrgetter("seq"))
        self._idle_timeout = idle_timeout

    async def next(self) -> StreamEvent | None:
        """The event with seq last + 1, waiting for it; None ends the subscription (closed, hole, or silence)."""
        buffer = self._buffer
        while not buffer.closed:
            if self._index < len(buffer.events):
                event = buffer.events[self._index]
                self._index += 1
                if event.seq <= self._last:  # at or before `after` (a resume beyond what had arrived then)
                    continue
                if event.seq != self._last + 1:
                    # Trimmed by MAXLEN (or expired and begun anew): the text would have a hole, so hand over to the DB.
                    log.warning("stream jumps from seq %d to %d; ending subscription", self._last, event.seq)
                    return None
                self._last = event.seq
                return event
            if not await self._wait():
                return None
        return None

    async def _wait(self) -> bool:
        """Sleep until the buffer changes; False after `idle_timeout` seconds without a change."""
        try:
            async with asyncio.timeout(self._idle_timeout):
                await self._buffer.changed.wait()
        except TimeoutError:
            return False
        return True


# --------------------------------------------------------------------------------------------------- in process


class _Stream(EventBuffer):
    """One in-process stream: its history (seq n at index n - 1) and when it is forgotten."""

    __slots__ = ("expires_at",)

    def __init__(self, expires_at: float) -> None:
        super().__init__()
        self.expires_at = expires_at


class InProcessBroker:
    """Streams kept in this process's memory; waiters are woken directly by `publish`, no polling."""

    def __init__(self, *, ttl_seconds: float = DEFAULT_TTL_SECONDS, idle_timeout: float = DEFAULT_IDLE_TIMEOUT) -> None:
        self._ttl = ttl_seconds
        self._idle_timeout = idle_timeout
        # Ordered by expiry: every expiry is "now + ttl" when set, so moving a touched stream to the end keeps the
        # order, and expiring is popping from the front (O(1) amortised, no timers or tasks).
        self._streams: OrderedDict[str, _Stream] = OrderedDict()
        self._closed = False

    async def publish(self, stream_id: str, kind: EventKind, data: str = "") -> None:
        """Append an event and wake the stream's watchers."""
        kind = check_kind(kind)
        if self._closed:
            raise RuntimeError("broker is closed")
        stream = self._touch(stream_id)
        stream.events.append(StreamEvent(kind, data, len(stream.events) + 1))
        stream.wake()

    def subscribe(self, stream_id: str, *, after: int = 0) -> AsyncGenerator[StreamEvent, None]:
        """Events with seq > `after`, then live ones, until done/error or `idle_timeout` seconds of silence."""
        check_after(after)
        return self._follow(stream_id, after)

    async def close(self) -> None:
        """Forget every stream and end every subscription."""
        self._closed = True
        for stream in self._streams.values():
            stream.close()
        self._streams.clear()

    async def _follow(self, stream_id: str, after: int) -> AsyncGenerator[StreamEvent, None]:
        """The body of `subscribe`."""
        if self._closed:
            return
        stream = self._attach(stream_id)
        stream.watchers += 1
        try:
            position = Position(stream, after, self._idle_timeout)
            while (event := await position.next()) is not None:
                yield event
                if event.is_terminal:
                    return
        finally:
            stream.watchers -= 1
            self._detach(stream_id, stream)

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
            stream.close()
