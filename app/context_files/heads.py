"""Branch heads as reported by pushes, so visitor links resolve without calling GitHub."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.db.models import BranchHead, utcnow
from app.db.upsert import upsert


async def set_head(session: AsyncSession, repository_id: int, branch: str, sha: str) -> None:
    """Record the commit a branch now points at."""
    await upsert(
        session,
        BranchHead,
        {"repository_id": repository_id, "branch": branch, "commit_sha": sha, "updated_at": utcnow()},
        conflict=["repository_id", "branch"],
        update=["commit_sha", "updated_at"],
    )


async def forget_head(session: AsyncSession, repository_id: int, branch: str) -> None:
    """A deleted branch has no head."""
    await session.execute(
        delete(BranchHead).where(col(BranchHead.repository_id) == repository_id, col(BranchHead.branch) == branch)
    )


async def get_head(session: AsyncSession, repository_id: int, branch: str) -> str | None:
    row = await session.get(BranchHead, (repository_id, branch))
    return row.commit_sha if row else None
