"""Requests per API key per minute, counted in each web process (a sliding window of request times).

Per process, not per service: with N replicas a key may make up to N times the limit. That bounds a runaway
script cheaply; the money itself is bounded by the balance, the reservation and the key's monthly cap.
"""

from __future__ import annotations

import math
import time
from collections import deque

WINDOW_SECONDS = 60.0


class KeyRateLimiter:
    def __init__(self, per_minute: int) -> None:
        self._limit = per_minute
        self._seen: dict[int, deque[float]] = {}

    def retry_after(self, key_id: int, now: float | None = None) -> int | None:
        """None when the key may make this request (and it is counted); else seconds until it may."""
        now = time.monotonic() if now is None else now
        times = self._seen.setdefault(key_id, deque())
        while times and times[0] <= now - WINDOW_SECONDS:
            times.popleft()
        if len(times) >= self._limit:
            return max(1, math.ceil(times[0] + WINDOW_SECONDS - now))
        times.append(now)
        return None
