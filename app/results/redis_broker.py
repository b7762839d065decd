"""The Redis Streams broker (contract: app/results/broker.py): producers XADD, one reading loop per broker follows.

However many people watch, a web process talks to Redis through a bounded pool: one task (the reader) blocks in a
single XREAD over every stream watched in this process and appends what arrives to that stream's in-memory buffer,
where each subscriber keeps its own position. A stream's buffer starts from the stream's first entry, so a late
joiner or an `after=` resume is served from memory, and it is dropped when its last watcher leaves.

A watcher of a stream nobody watched yet must not wait for the reader's current XREAD to time out: it adds an entry
to this broker's private "wake" stream, which that XREAD also follows, and the reader starts again with the new
stream included. Without watchers the reader stops; publishing alone never starts it.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncGenerator, Iterator
from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis
from redis.exceptions import RedisError
from redis.typing import KeyT, StreamIdT

from app.results.broker import (
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAXLEN,
    DEFAULT_TTL_SECONDS,
    EVENT_KINDS,
    EventBuffer,
    EventKind,
    Position,
    StreamEvent,
    TooManyWatchers,
    check_after,
    check_kind,
    stream_key,
)

__all__ = ["RedisBroker"]

log = logging.getLogger("contextjson.broker")

# Per broker, so per process: the reader holds one connection, producers and wake-ups borrow the rest briefly.
DEFAULT_MAX_CONNECTIONS = 16
DEFAULT_POOL_TIMEOUT = 10.0  # seconds a command waits for a free connection before failing
# Each watcher costs this process a socket and a little memory, never a Redis connection; still, not without end.
DEFAULT_MAX_WATCHERS = 10_000
WAKE_TTL_MS = 60_000  # the wake stream of a process that died goes away on its own
READ_RETRY_MAX_SECONDS = 2.0

Entries = list[tuple[str, dict[str, str]]]


class _Channel(EventBuffer):
    """A stream watched in this process: its events so far and the id the reader continues after."""

    __slots__ = ("cursor",)

    def __init__(self) -> None:
        super().__init__()
        self.cursor = "0-0"  # from the first entry: late joiners and resumes are served from memory


class RedisBroker:
    """Streams kept in Redis Streams: XADD per event; one XREAD loop per broker serves all its watchers."""

    def __init__(
        self,
        redis_url: str,
        *,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
        maxlen: int = DEFAULT_MAXLEN,
        block_ms: int = 5000,
        read_count: int = 1000,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        pool_timeout: float = DEFAULT_POOL_TIMEOUT,
        max_watchers: int = DEFAULT_MAX_WATCHERS,
        client_name: str = "contextjson-broker",
    ) -> None:
        pool = BlockingConnectionPool.from_url(
            redis_url,
            max_connections=max_connections,
            timeout=pool_timeout,
            decode_responses=True,
            client_name=client_name,  # tells this broker's connections apart in CLIENT LIST
        )
        self._redis: Redis = Redis.from_pool(pool)  # the client owns the pool and closes it
        self._ttl_ms = max(1, round(ttl_seconds * 1000))
        self._idle_timeout = idle_timeout
        self._maxlen = maxlen
        self._block_ms = block_ms
        self._read_count = read_count
        self._max_watchers = max_watchers
        self._watchers = 0
        self._channels: dict[str, _Channel] = {}
        self._reader: asyncio.Task[None] | None = None
        # True from a wake-up (or the reader's start) until the reader builds its next XREAD, which will then include
        # every stream watched by that time: one wake-up serves a burst of new streams.
        self._reread_pending = False
        self._wake_key = f"cj:wake:{uuid.uuid4().hex}"
        self._wake_cursor = "0-0"
        self._closed = False

    async def publish(self, stream_id: str, kind: EventKind, data: str = "") -> None:
        """Append an event in one round trip (XADD + PEXPIRE pipelined)."""
        kind = check_kind(kind)
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
        check_after(after)
        if self._watchers >= self._max_watchers:
            raise TooManyWatchers(f"this process already relays {self._watchers} live streams; try again shortly")
        return self._follow(stream_key(stream_id), after)

    async def close(self) -> None:
        """End every subscription, stop the reader and close the connection pool."""
        self._closed = True
        for channel in self._channels.values():
            channel.close()
        self._channels.clear()
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
        await self._redis.aclose()

    async def _follow(self, key: str, after: int) -> AsyncGenerator[StreamEvent, None]:
        """The body of `subscribe`: a position in the stream's shared buffer."""
        if self._closed:
            return
        channel = self._channels.get(key)
        is_new = channel is None
        if channel is None:
            channel = self._channels[key] = _Channel()
        channel.watchers += 1
        self._watchers += 1
        try:
            await self._ensure_reader(wake=is_new)
            position = Position(channel, after, self._idle_timeout)
            while (event := await position.next()) is not None:
                yield event
                if event.is_terminal:
                    return
        finally:
            self._watchers -= 1
            channel.watchers -= 1
            if channel.watchers == 0 and self._channels.get(key) is channel:
                del self._channels[key]  # nobody here watches it: stop reading it, free its events

    async def _ensure_reader(self, *, wake: bool) -> None:
        """Start the reader if it is not running; with `wake`, cut its current XREAD short to include a new stream."""
        if self._reader is None or self._reader.done():
            self._reader = asyncio.create_task(self._read_loop(), name="redis-broker-reader")
            self._reread_pending = True
            return
        if not wake or self._reread_pending:
            return
        self._reread_pending = True
        pipe = self._redis.pipeline(transaction=False)
        pipe.xadd(self._wake_key, {"w": "1"}, maxlen=1)
        pipe.pexpire(self._wake_key, WAKE_TTL_MS)
        try:
            await pipe.execute()
        except RedisError as exc:  # the reader still includes the stream once its XREAD ends
            log.warning("broker.wake_failed error=%s", exc)

    async def _read_loop(self) -> None:
        """Follow every stream watched in this process, one XREAD at a time, until none is watched."""
        failures = 0
        while self._channels:
            requested = dict(self._channels)
            streams: dict[KeyT, StreamIdT] = {key: channel.cursor for key, channel in requested.items()}
            streams[self._wake_key] = self._wake_cursor
            self._reread_pending = False
            try:
                response = await self._redis.xread(streams, count=self._read_count, block=self._block_ms)
            except RedisError as exc:
                # Redis is away: watchers end by idle_timeout meanwhile; retry with a short, capped backoff.
                failures += 1
                if failures == 1:
                    log.warning("broker.read_failed error=%s; retrying until Redis answers", exc)
                await asyncio.sleep(min(READ_RETRY_MAX_SECONDS, 0.05 * 2**failures))
                continue
            if failures:
                log.info("broker.read_recovered after=%d failed reads", failures)
                failures = 0
            self._deliver(response, requested)
        self._reader = None

    def _deliver(self, response: Any, requested: dict[str, _Channel]) -> None:
        """Append what one XREAD returned to the buffers it was asked for, and wake their watchers."""
        for key, entries in _batches(response):
            if not entries:
                continue
            if key == self._wake_key:
                self._wake_cursor = entries[-1][0]
                continue
            # The buffer the read was for: if it was dropped and made anew meanwhile, the new one reads from 0 itself.
            channel = requested.get(key)
            if channel is None or channel.closed:
                continue
            for entry_id, fields in entries:
                seq = int(entry_id.partition("-")[2])
                kind = fields.get("k", "")
                if kind not in EVENT_KINDS:  # only a newer release could have written it: not for this reader
                    log.warning("broker.unknown_kind key=%s kind=%.20r", key, kind)
                    continue
                channel.events.append(StreamEvent(EventKind(kind), fields.get("d", ""), seq))
            channel.cursor = entries[-1][0]
            channel.wake()


def _batches(response: Any) -> Iterator[tuple[str, Entries]]:
    """(key, entries) pairs of an XREAD reply, RESP2 (list of [key, entries]) or RESP3 ({key: [entries]})."""
    if not response:
        return
    if isinstance(response, dict):
        for key, batches in response.items():
            yield key, list(batches[0]) if batches else []
        return
    for key, entries in response:
        yield key, list(entries)
