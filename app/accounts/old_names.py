"""Names a repository had before a rename or transfer (GitHub keeps redirecting them; so do our links)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.db.models import Repository, RepositoryName


async def find_by_old_name(session: AsyncSession, owner: str, name: str) -> Repository | None:
    """The active repository once known as owner/name, if any."""
    stmt = (
        select(Repository)
        .join(RepositoryName, col(RepositoryName.repository_id) == col(Repository.id))
        .where(
            col(RepositoryName.owner_lower) == owner.lower(),
            col(RepositoryName.name_lower) == name.lower(),
            col(Repository.active).is_(True),
        )
    )
    return (await session.execute(stmt)).scalars().first()
