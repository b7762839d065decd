"""SQL for context settings."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.db.models import ContextSetting, utcnow
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
