"""Reading the usage tables back, and a session factory that can be pointed at a broken database."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.engine import Sessions
from app.db.models import UsageDay, UsageReferrer, UsageVisitor


async def clicks_by_context(sessions: Sessions) -> dict[str, tuple[int, int]]:
    """context id → (clicks, cache hits), over every day and repository."""
    async with sessions() as session:
        rows = (await session.execute(select(UsageDay.context_id, UsageDay.clicks, UsageDay.cache_hits))).all()
    totals: dict[str, tuple[int, int]] = {}
    for context_id, clicks, hits in rows:
        before = totals.get(context_id, (0, 0))
        totals[context_id] = (before[0] + clicks, before[1] + hits)
    return totals


async def referrers(sessions: Sessions) -> dict[str, int]:
    async with sessions() as session:
        return {
            host: clicks for host, clicks in await session.execute(select(UsageReferrer.host, UsageReferrer.clicks))
        }


async def visitors(sessions: Sessions) -> list[tuple[Any, str]]:
    """(day, visitor hash) rows."""
    async with sessions() as session:
        return [tuple(row) for row in await session.execute(select(UsageVisitor.day, UsageVisitor.visitor))]


class SwitchableSessions:
    """Opens sessions from whichever factory is current, so a test can make writes fail for a while."""

    def __init__(self, current: Sessions):
        self.current = current

    def __call__(self) -> AbstractAsyncContextManager[AsyncSession]:
        return self.current()
