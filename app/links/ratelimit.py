"""Per-client limits on uncached generations, so no visitor can drain an owner's budget."""

from __future__ import annotations

import time
from collections import defaultdict, deque
from typing import Protocol


class RateLimiter(Protocol):
    async def hit(self, key: str) -> int | None:
        """Count one event; None when allowed, else seconds until the next one is allowed."""
        ...

    async def close(self) -> None: ...


class MemoryRateLimiter:
    """Sliding window in this process (the one-process default)."""

    def __init__(self, limit: int, window_seconds: float):
        self._limit, self._window = limit, window_seconds
        self._events: defaultdict[str, deque[float]] = defaultdict(deque)

    async def hit(self, key: str) -> int | None:
        now = time.monotonic()
        events = self._events[key]
        while events and events[0] <= now - self._window:
            events.popleft()
        if len(events) >= self._limit:
            return max(1, int(events[0] + self._window - now) + 1)
        events.append(now)
        return None

    async def close(self) -> None:
        self._events.clear()


class RedisRateLimiter:
    """Fixed windows in Redis, shared by every replica (one INCR + EXPIRE round trip)."""

    def __init__(self, redis_url: str, limit: int, window_seconds: int):
        from redis.asyncio import Redis

        self._redis = Redis.from_url(redis_url)
        self._limit, self._window = limit, window_seconds

    async def hit(self, key: str) -> int | None:
        window = int(time.time()) // self._window
        name = f"cj:rate:{key}:{window}"
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.incr(name)
            pipe.expire(name, self._window + 5)
            count, _ = await pipe.execute()
        if int(count) > self._limit:
            return self._window - int(time.time()) % self._window
        return None

    async def close(self) -> None:
        await self._redis.aclose()


def make_rate_limiter(redis_url: str | None, limit: int, window_seconds: int = 3600) -> RateLimiter:
    if redis_url:
        return RedisRateLimiter(redis_url, limit, window_seconds)
    return MemoryRateLimiter(limit, window_seconds)
