"""Applying `repository` and `installation_target` events: visibility, names, owners, archiving, deletion.

Every change that alters what a link may show drops the repository's cached links on every web process
once the job commits (old and new names alike).
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import repository as repo_sql
from app.db.models import Installation, Repository
from app.jobs_catalog import JobCall, check_context_file_job
from app.links.invalidation import InvalidationBus
from github_app import InstallationTargetEvent, RepositoryEvent
from github_app.events import InstallationId

log = logging.getLogger("contextjson.accounts")

# Hiding is always safe: these apply whichever installation the event names.
_RESTRICTING = frozenset({"privatized", "deleted"})


async def installation_owns(session: AsyncSession, repo: Repository, installation: InstallationId | None) -> bool:
    """Whether an event about a known repository comes from the installation that owns it.

    A signed body can be replayed, and an installation's old events must not move or reopen a repository
    that now belongs to another installation. A repository whose installation is gone may be claimed.
    """
    if installation is not None and installation.id == repo.installation_id:
        return True
    recorded = await repo_sql.get_installation(session, repo.installation_id) if repo.installation_id else None
    if installation is not None and (recorded is None or recorded.deleted_at is not None):
        return True
    log.warning(
        "github.event.foreign_installation repo=%s installation=%s owner_installation=%s",
        repo.id,
        installation.id if installation else None,
        repo.installation_id,
    )
    return False


async def apply_repository_event(
    session: AsyncSession, event: RepositoryEvent, invalidation: InvalidationBus
) -> list[JobCall]:
    """privatized, publicized, renamed, transferred, archived, unarchived, deleted, edited (default branch)."""
    if event.action == "transferred":
        return await _transfer(session, event, invalidation)
    ref = event.repository
    repo = await repo_sql.get_repository(session, ref.id)
    if repo is None:
        log.info("github.repository.unknown repo=%s action=%s", ref.id, event.action)
        return []
    if event.action not in _RESTRICTING and not await installation_owns(session, repo, event.installation):
        return []
    names = [(repo.owner, repo.name)]
    if event.action == "privatized":
        await repo_sql.set_repository(session, repo.id, private=True)
    elif event.action == "publicized":
        await repo_sql.set_repository(session, repo.id, private=False)
    elif event.action == "renamed":
        await repo_sql.rename_repository(session, repo.id, ref.owner.login, ref.name)
        names.append((ref.owner.login, ref.name))
    elif event.action in ("archived", "unarchived"):
        # Archived code is still public and readable: its links keep serving.
        await repo_sql.set_repository(session, repo.id, archived=event.action == "archived")
    elif event.action == "deleted":
        await repo_sql.set_repository(session, repo.id, active=False)
    elif event.action == "edited" and "default_branch" in event.changes and ref.default_branch:
        await repo_sql.set_repository(session, repo.id, default_branch=ref.default_branch)
    else:
        return []
    invalidation.forget_after_commit(session, repos=names)
    return []


async def _transfer(session: AsyncSession, event: RepositoryEvent, invalidation: InvalidationBus) -> list[JobCall]:
    """The repository moved to another account: it stays only if that account's installation covers it."""
    ref = event.repository
    repo = await repo_sql.get_repository(session, ref.id)
    names = [(repo.owner, repo.name)] if repo else []
    names.append((ref.owner.login, ref.name))
    invalidation.forget_after_commit(session, repos=names)
    installation = await _covering_installation(session, event)
    if installation is None:
        # The new owner has not installed the App on it: the repository leaves the service.
        if repo is not None:
            await repo_sql.rename_repository(session, repo.id, ref.owner.login, ref.name)
            await repo_sql.set_repository(session, repo.id, active=False)
        log.info("github.repository.transferred_out repo=%s to=%s", ref.id, ref.owner.login)
        return []
    await repo_sql.upsert_repository(
        session,
        repo_id=ref.id,
        installation_id=installation.id,
        account_id=installation.account_id,
        owner=ref.owner.login,
        name=ref.name,
        private=ref.private,
        default_branch=ref.default_branch,
        archived=ref.archived,
    )
    log.info("github.repository.transferred repo=%s to=%s installation=%s", ref.id, ref.owner.login, installation.id)
    return [check_context_file_job(ref.id, None, None)]


async def _covering_installation(session: AsyncSession, event: RepositoryEvent) -> Installation | None:
    """The new owner's live installation, if it covers the transferred repository."""
    account = await repo_sql.get_account_by_github_id(session, event.repository.owner.id)
    installation = await repo_sql.live_installation_of_account(session, account.id) if account and account.id else None
    if installation is None:
        return None
    # GitHub sends a repository's events only to installations that can see it.
    delivered_there = event.installation is not None and event.installation.id == installation.id
    return installation if installation.repository_selection == "all" or delivered_there else None


async def apply_installation_target(
    session: AsyncSession, event: InstallationTargetEvent, invalidation: InvalidationBus
) -> list[JobCall]:
    """`renamed`: the account's new login, and the new owner name of each of its repositories."""
    new_login = event.new_login
    account = await repo_sql.get_account_by_github_id(session, event.account.id)
    if event.action != "renamed" or not new_login or account is None or account.id is None:
        return []
    installation = await repo_sql.get_installation(session, event.installation.id)
    if installation is None or installation.account_id != account.id:
        log.warning("github.installation_target.foreign installation=%s account=%s", event.installation.id, account.id)
        return []
    old_logins = {account.login.lower(), (event.old_login or account.login).lower()}
    await repo_sql.set_account_login(session, account.id, new_login)
    names: list[tuple[str, str]] = []
    for repo in await repo_sql.repositories_of_account(session, account.id):
        if repo.owner.lower() in old_logins:
            names += [(repo.owner, repo.name), (new_login, repo.name)]
            await repo_sql.rename_repository(session, repo.id, new_login, repo.name)
    invalidation.forget_after_commit(session, repos=names)
    log.info("github.installation_target.renamed account=%s login=%s repos=%d", account.id, new_login, len(names) // 2)
    return []
