"""Reading one repository's visibility and name from GitHub again (the safety net behind webhooks).

Webhooks can be lost or late; before spending money on a new answer, the generation asks GitHub whether
the repository still exists for the installation and whether it is still public.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.accounts import repository as repo_sql
from app.accounts.service import changed_for_links, store_github_view
from app.db.models import Repository
from app.github_source import AppGitHub
from app.links.invalidation import InvalidationBus

log = logging.getLogger("contextjson.accounts")


async def refresh_repository(
    sessions: async_sessionmaker[AsyncSession], github: AppGitHub, invalidation: InvalidationBus, repository_id: int
) -> Repository | None:
    """The repository as GitHub shows it now (private, archived, owner, name updated), or None when gone.

    Gone: deleted, transferred out of the installation's reach, or its installation is deleted or
    suspended. A repository found gone is deactivated. Either way, a change drops its cached links.
    """
    async with sessions() as session:
        repo = await repo_sql.get_repository(session, repository_id)
        installation = (
            await repo_sql.get_installation(session, repo.installation_id) if repo and repo.installation_id else None
        )
    if repo is None or not repo.active or installation is None or not installation.active:
        return None
    async with github.installation(installation.id) as api:  # no database connection held meanwhile
        info = await api.get_repository_by_id(repo.id)
    async with sessions() as session:
        if info is None:
            await repo_sql.deactivate_repositories(session, [repo.id])
            invalidation.forget_after_commit(session, repos=[(repo.owner, repo.name)])
            await session.commit()
            log.info("accounts.repository_gone repo=%s name=%s", repo.id, repo.full_name)
            return None
        await store_github_view(session, info, installation_id=installation.id, account_id=repo.account_id)
        if changed_for_links(repo, info):
            invalidation.forget_after_commit(session, repos=[(repo.owner, repo.name), (info.owner, info.name)])
            log.info(
                "accounts.repository_changed repo=%s name=%s/%s private=%s",
                repo.id,
                info.owner,
                info.name,
                info.private,
            )
        await session.commit()
        return await session.get(Repository, repo.id, populate_existing=True)
