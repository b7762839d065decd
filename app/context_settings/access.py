"""Which repositories a viewer may see and change: those of the accounts they reach, nothing else."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.accounts.repository import find_repository
from app.auth.viewer import Viewer
from app.db.models import Repository
from app.errors import AppError


class RepoNotFound(AppError):
    status_code = 404
    code = "repo.not_found"
    title = "No such repository"


async def viewer_repository(session: AsyncSession, viewer: Viewer, owner: str, name: str) -> Repository:
    """The active repository owner/name if its account is one the viewer reaches, else 404.

    Another account's repository and one that does not exist answer alike, so neither is confirmed.
    """
    repo = await find_repository(session, owner, name)
    if repo is None or not repo.active or not viewer.may_reach(repo.account_id):
        raise RepoNotFound(f"There is no repository {owner[:100]}/{name[:100]} that you can see.")
    return repo


async def active_repositories(session: AsyncSession, account_id: int) -> list[Repository]:
    """The account's repositories that the App can see now, by name."""
    stmt = (
        select(Repository)
        .where(col(Repository.account_id) == account_id, col(Repository.active).is_(True))
        .order_by(func.lower(col(Repository.owner)), func.lower(col(Repository.name)))
    )
    return list((await session.execute(stmt)).scalars())
