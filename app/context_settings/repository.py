"""SQL for context settings (pause per context id) and a repository's monthly cap."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.db.models import ContextSetting, Repository, UsageDay, utcnow
from app.db.upsert import upsert


async def is_paused(session: AsyncSession, repository_id: int, context_id: str) -> bool:
    stmt = select(col(ContextSetting.paused)).where(
        col(ContextSetting.repository_id) == repository_id, col(ContextSetting.context_id) == context_id
    )
    return bool((await session.execute(stmt)).scalar_one_or_none())


async def paused_context_ids(session: AsyncSession, repository_id: int) -> set[str]:
    stmt = select(col(ContextSetting.context_id)).where(
        col(ContextSetting.repository_id) == repository_id, col(ContextSetting.paused)
    )
    return set((await session.execute(stmt)).scalars())


async def set_paused(session: AsyncSession, repository_id: int, context_id: str, paused: bool) -> None:
    """Pause or resume one context id (flushed, not committed); the same value twice is harmless."""
    values = {"repository_id": repository_id, "context_id": context_id, "paused": paused, "updated_at": utcnow()}
    await upsert(session, ContextSetting, values, ["repository_id", "context_id"], ["paused", "updated_at"])


async def set_monthly_cap(session: AsyncSession, repository_id: int, cap_micros: int | None) -> None:
    """A repository's monthly spending cap in micro-dollars (None: no cap); flushed, not committed."""
    stmt = update(Repository).where(col(Repository.id) == repository_id)
    await session.execute(stmt.values(monthly_cap_micros=cap_micros, updated_at=utcnow()))


async def used_context_ids(session: AsyncSession, repository_id: int, since: date) -> set[str]:
    """Context ids of the repository that visitors clicked since `since` (on any branch)."""
    stmt = select(col(UsageDay.context_id)).where(
        col(UsageDay.repository_id) == repository_id, col(UsageDay.day) >= since
    )
    return set((await session.execute(stmt.distinct())).scalars())
