"""Whether a repository's links, badges and answers may be shown to anyone: one rule for all of them."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import repository as repo_sql
from app.db.models import Installation, Repository


class Visibility(StrEnum):
    PUBLIC = "public"
    GONE = "gone"  # unknown, deleted, removed from the installation, or the App uninstalled
    SUSPENDED = "suspended"  # the App is suspended on it
    PRIVATE = "private"  # visitor login for private repositories comes later


def visibility(repo: Repository | None, installation: Installation | None) -> Visibility:
    """What the public may see of a repository, from its row and its installation's."""
    if repo is None or not repo.active or installation is None or installation.deleted_at is not None:
        return Visibility.GONE
    if installation.suspended_at is not None:
        return Visibility.SUSPENDED
    return Visibility.PRIVATE if repo.private else Visibility.PUBLIC


async def installation_of(session: AsyncSession, repo: Repository | None) -> Installation | None:
    """The installation a repository is served through, if any."""
    if repo is None or repo.installation_id is None:
        return None
    return await repo_sql.get_installation(session, repo.installation_id)
