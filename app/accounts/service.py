"""Applying installation events and syncing an installation's repositories."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.accounts import repository as repo_sql
from app.billing.ledger import credit_once, usd_to_micros
from app.db.models import Account, Repository
from app.github_source import AppGitHub
from app.jobs_catalog import JobCall, check_context_file_job, sync_installation_job
from app.links.invalidation import InvalidationBus
from github_app import InstallationEvent, InstallationRepositoriesEvent, RepoInfo
from github_app.events import InstallationRef, RepoRef

log = logging.getLogger("contextjson.accounts")


async def _record_installation(session: AsyncSession, inst: InstallationRef, *, suspended: bool) -> Account | None:
    if inst.account is None:
        log.warning("github.installation.no_account installation=%s", inst.id)
        return None
    account = await repo_sql.upsert_account(
        session, github_id=inst.account.id, login=inst.account.login, type_=inst.account.type
    )
    assert account.id is not None
    await repo_sql.upsert_installation(
        session,
        installation_id=inst.id,
        account_id=account.id,
        repository_selection=inst.repository_selection,
        permissions=inst.permissions,
        suspended=suspended,
    )
    return account


async def _record_repos(session: AsyncSession, installation_id: int, account_id: int, repos: list[RepoRef]) -> None:
    for repo in repos:
        await repo_sql.upsert_repository(
            session,
            repo_id=repo.id,
            installation_id=installation_id,
            account_id=account_id,
            owner=repo.owner,
            name=repo.name,
            private=repo.private,
            default_branch=None,
            # GitHub's view as the repository joins the installation: it may have become public while out
            # of it (no event reached us then), and nothing else would say so.
            visibility_is_current=True,
        )


def names_of(repos: list[Repository]) -> list[tuple[str, str]]:
    """(owner, name) of each repository, for dropping their cached links."""
    return [(r.owner, r.name) for r in repos]


async def apply_installation_event(
    session: AsyncSession, free_credit_usd: float, event: InstallationEvent, invalidation: InvalidationBus
) -> list[JobCall]:
    """created / deleted / suspend / unsuspend / new_permissions_accepted → database state + follow-ups."""
    inst, action = event.installation, event.action
    if action in ("deleted", "suspend"):
        # Uninstalling or suspending stops every link of the installation at once, on every replica.
        repos = await repo_sql.repositories_of_installation(session, inst.id)
        invalidation.forget_after_commit(session, repos=names_of(repos))
    if action == "deleted":
        await repo_sql.set_installation_state(session, inst.id, deleted=True)
        return []
    suspended = action == "suspend" or (action != "unsuspend" and inst.suspended_at is not None)
    account = await _record_installation(session, inst, suspended=suspended)
    if account is None or action == "suspend":
        return []
    assert account.id is not None
    if action == "created":
        # Keyed on the GitHub account, so uninstalling and reinstalling never grants it twice.
        await credit_once(
            session,
            account_id=account.id,
            amount_micros=usd_to_micros(free_credit_usd),
            idempotency_key=f"free-credit:{account.github_id}",
            note="free credit on install",
        )
        await _record_repos(session, inst.id, account.id, event.repositories or [])
    return [sync_installation_job(inst.id)]


async def apply_installation_repositories(
    session: AsyncSession, event: InstallationRepositoriesEvent, invalidation: InvalidationBus
) -> list[JobCall]:
    """Repositories added to / removed from an installation."""
    account = await _record_installation(
        session, event.installation, suspended=event.installation.suspended_at is not None
    )
    if account is None:
        return []
    assert account.id is not None
    await _record_repos(session, event.installation.id, account.id, event.repositories_added)
    removed = [r.id for r in event.repositories_removed]
    known = [repo for repo_id in removed if (repo := await repo_sql.get_repository(session, repo_id))]
    await repo_sql.deactivate_repositories(session, removed)
    invalidation.forget_after_commit(
        session, repos=names_of(known) + [(r.owner, r.name) for r in event.repositories_removed]
    )
    return [check_context_file_job(r.id, None, None) for r in event.repositories_added]


async def sync_installation(
    session: AsyncSession,
    installation_id: int,
    *,
    sessions: async_sessionmaker[AsyncSession],
    github: AppGitHub,
    invalidation: InvalidationBus,
) -> list[JobCall]:
    """Refresh an installation's repositories (names, visibility) from GitHub and check each one's context.json."""
    async with sessions() as reader:  # not the job's session: no connection held during the GitHub call
        installation = await repo_sql.get_installation(reader, installation_id)
    if installation is None or not installation.active:
        return []
    async with github.installation(installation_id) as api:
        repos = await api.list_repositories()
    known = {r.id: r for r in await repo_sql.repositories_of_installation(session, installation_id)}
    stale: list[tuple[str, str]] = []
    for repo in repos:
        before = known.pop(repo.id, None)
        if before is None or changed_for_links(before, repo):
            stale += [(repo.owner, repo.name)] + ([(before.owner, before.name)] if before else [])
        await store_github_view(session, repo, installation_id=installation_id, account_id=installation.account_id)
    await repo_sql.deactivate_repositories(session, list(known))
    invalidation.forget_after_commit(session, repos=stale + names_of(list(known.values())))
    return [check_context_file_job(repo.id, repo.default_branch, None) for repo in repos]


async def store_github_view(session: AsyncSession, info: RepoInfo, *, installation_id: int, account_id: int) -> None:
    """Store a repository as GitHub's API shows it now (so it may also make a repository public again)."""
    await repo_sql.upsert_repository(
        session,
        repo_id=info.id,
        installation_id=installation_id,
        account_id=account_id,
        owner=info.owner,
        name=info.name,
        private=info.private,
        default_branch=info.default_branch,
        archived=info.archived,
        visibility_is_current=True,
    )


def changed_for_links(known: Repository, fresh: RepoInfo) -> bool:
    """Whether GitHub's view changes the links of a repository: its name, or whether it may be shown."""
    return (known.owner, known.name, known.private, known.archived) != (
        fresh.owner,
        fresh.name,
        fresh.private,
        fresh.archived,
    )
