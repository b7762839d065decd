"""Run a unit of work in its own transaction, again when it lost a deadlock or a serialization conflict.

PostgreSQL aborts one transaction of a lock cycle (40P01) or of a serializable conflict (40001); SQLite
answers "database is locked" when another process holds the write lock past the busy timeout. In each case
the whole transaction was rolled back and running it again from the start is the correct answer, so the
work must be a function of the session alone: read what it needs, write, and leave every side effect
outside the database (publishing, enqueueing, cache changes) to the caller, after the commit.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

log = logging.getLogger("contextjson.db")

T = TypeVar("T")

RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})  # deadlock_detected, serialization_failure
DEFAULT_ATTEMPTS = 5
BASE_DELAY_SECONDS = 0.02


def is_transient(exc: BaseException) -> bool:
    """True when the database rolled the transaction back only because of a concurrent one."""
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    if getattr(orig, "sqlstate", None) in RETRYABLE_SQLSTATES:
        return True
    return isinstance(exc, OperationalError) and "database is locked" in str(orig)


async def in_transaction(
    sessions: async_sessionmaker[AsyncSession],
    work: Callable[[AsyncSession], Awaitable[T]],
    *,
    name: str,
    attempts: int = DEFAULT_ATTEMPTS,
) -> T:
    """`work(session)` then commit, in a fresh session per attempt; a transient failure is retried with jitter."""
    for attempt in range(1, attempts + 1):
        try:
            async with sessions() as session:
                value = await work(session)
                await session.commit()
                return value
        except DBAPIError as exc:
            if attempt == attempts or not is_transient(exc):
                raise
            # Full jitter: the transactions that collided must not meet again at the same instant.
            delay = random.uniform(0, BASE_DELAY_SECONDS * 2**attempt)
            log.warning("db.retry unit=%s attempt=%d/%d delay=%.3f error=%s", name, attempt, attempts, delay, exc.orig)
            await asyncio.sleep(delay)
    raise AssertionError("unreachable: the last attempt returns or raises")
