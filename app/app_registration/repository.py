"""SQL for the stored App registration (one row at most)."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.db.models import GitHubAppRegistration


async def get_registration(session: AsyncSession) -> GitHubAppRegistration | None:
    return (await session.execute(select(GitHubAppRegistration).limit(1))).scalar_one_or_none()


async def add_registration(session: AsyncSession, row: GitHubAppRegistration) -> None:
    """Store the registration (flushed, not committed); the caller made sure none exists."""
    session.add(row)
    await session.flush()


async def delete_registration(session: AsyncSession, registration_id: int | None) -> None:
    """Remove a registration row (one sealed with an earlier SECRET_KEY, which no process can read)."""
    await session.execute(delete(GitHubAppRegistration).where(col(GitHubAppRegistration.id) == registration_id))
