"""Counting limits on new generations and GitHub lookups, so no visitor can drain an owner's budget or quota.

Keys name what is limited (a client address hash, a repository); each call may carry its own limit.
With Redis every replica shares the counts; if Redis stops answering, counting falls back to this
process's memory (still a limit, per replica) until it answers again, rather than failing the request.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict, deque
from typing import Protocol

from redis.exceptions import RedisError

log = logging.getLogger("contextjson.links")

_FALLBACK_LOG_SECONDS = 60.0


class RateLimiter(Protocol):
    async def hit(self, key: str, limit: int | None = None) -> int | None:
        """Count one event; None when allowed, else seconds until the next one is allowed."""
        ...

    async def close(self) -> None: ...


class MemoryRateLimiter:
    """Sliding window in this process (the one-process default)."""

    def __init__(self, limit: int, window_seconds: float):
        self._limit, self._window = limit, window_seconds
        self._events: defaultdict[str, deque[float]] = defaultdict(deque)

    async def hit(self, key: str, limit: int | None = None) -> int | None:
        now = time.monotonic()
        events = self._events[key]
        while events and events[0] <= now - self._window:
            events.popleft()
        if len(events) >= (self._limit if limit is None else limit):
            return max(1, int(events[0] + self._window - now) + 1)
        events.append(now)
        return None

    async def close(self) -> None:
        self._events.clear()


class RedisRateLimiter:
    """Fixed windows in Redis, shared by every replica (one INCR + EXPIRE round trip)."""

    def __init__(self, redis_url: str, limit: int, window_seconds: int):
        from redis.asyncio import Redis

        # Short timeouts: a limit check must never hang a visitor's click while Redis is away.
        self._redis = Redis.from_url(redis_url, socket_timeout=1, socket_connect_timeout=1, max_connections=32)
        self._limit, self._window = limit, window_seconds
        self._fallback = MemoryRateLimiter(limit, window_seconds)
        self._last_fallback_log = -_FALLBACK_LOG_SECONDS

    async def hit(self, key: str, limit: int | None = None) -> int | None:
        window = int(time.time()) // self._window
        name = f"cj:rate:{key}:{window}"
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.incr(name)
                pipe.expire(name, self._window + 5)
                count, _ = await pipe.execute()
        except (RedisError, OSError) as exc:
            self._log_fallback(exc)
            return await self._fallback.hit(key, limit)
        if int(count) > (self._limit if limit is None else limit):
            return self._window - int(time.time()) % self._window
        return None

    def _log_fallback(self, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._last_fallback_log >= _FALLBACK_LOG_SECONDS:
            self._last_fallback_log = now
            log.warning("links.rate_limit_fallback reason=%s (counting in this process until Redis answers)", exc)

    async def close(self) -> None:
        await self._redis.aclose()


def make_rate_limiter(redis_url: str | None, limit: int, window_seconds: int = 3600) -> RateLimiter:
    if redis_url:
        return RedisRateLimiter(redis_url, limit, window_seconds)
    return MemoryRateLimiter(limit, window_seconds)
