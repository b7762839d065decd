"""Deadlines and backoff for upstream attempts."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

from app.llm.errors import AttemptFailed


@dataclass(frozen=True)
class Deadline:
    """A point in time.monotonic() and what to say when a wait runs into it."""

    at: float
    message: str

    @classmethod
    def after(cls, seconds: float, message: str) -> Deadline:
        """A deadline `seconds` from now."""
        return cls(time.monotonic() + seconds, message)

    def remaining(self) -> float:
        """Seconds left (never negative)."""
        return max(self.at - time.monotonic(), 0.0)


def earliest(*deadlines: Deadline) -> Deadline:
    """The deadline that expires first (its message is the one a timeout reports)."""
    return min(deadlines, key=lambda d: d.at)


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with jitter, bounded by `cap`; a server's retry-after wins, up to the cap."""

    base: float
    cap: float

    def delay(self, failure: AttemptFailed, attempt: int) -> float:
        """Seconds to wait before the attempt after `attempt` (1-based)."""
        if failure.retry_after is not None:
            return min(failure.retry_after, self.cap)
        ceiling = min(self.cap, self.base * 2 ** (attempt - 1))
        # Jitter in the upper half keeps the exponential growth while spreading out clients that failed together.
        return random.uniform(ceiling / 2, ceiling)
