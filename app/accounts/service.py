"""Applying installation events and syncing an installation's repositories."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import repository as repo_sql
from app.billing.ledger import credit_once, usd_to_micros
from app.db.models import Account
from app.queue import JOB_CHECK_CONTEXT_FILE, JOB_SYNC_INSTALLATION, FollowUp
from app.runtime import Runtime
from github_app import InstallationEvent, InstallationRepositoriesEvent
from github_app.events import InstallationRef, RepoRef

log = logging.getLogger("contextjson.accounts")


def check_followup(repo_id: int, branch: str | None, sha: str | None) -> FollowUp:
    """The job that reads and checks context.json of a repo at a branch (head when sha is None)."""
    return FollowUp(JOB_CHECK_CONTEXT_FILE, (repo_id, branch, sha), job_id=f"check:{repo_id}:{branch}:{sha}")


def sync_followup(installation_id: int) -> FollowUp:
    return FollowUp(JOB_SYNC_INSTALLATION, (installation_id,), job_id=None)


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
        )


async def apply_installation_event(
    session: AsyncSession, free_credit_usd: float, event: InstallationEvent
) -> list[FollowUp]:
    """created / deleted / suspend / unsuspend / new_permissions_accepted → database state + follow-ups."""
    inst, action = event.installation, event.action
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
    return [sync_followup(inst.id)]


async def apply_installation_repositories(
    session: AsyncSession, event: InstallationRepositoriesEvent
) -> list[FollowUp]:
    """Repositories added to / removed from an installation."""
    account = await _record_installation(
        session, event.installation, suspended=event.installation.suspended_at is not None
    )
    if account is None:
        return []
    assert account.id is not None
    await _record_repos(session, event.installation.id, account.id, event.repositories_added)
    await repo_sql.deactivate_repositories(session, [r.id for r in event.repositories_removed])
    return [check_followup(r.id, None, None) for r in event.repositories_added]


async def sync_installation(rt: Runtime, session: AsyncSession, installation_id: int) -> list[FollowUp]:
    """Refresh an installation's repositories from GitHub and check each one's context.json."""
    async with rt.sessions() as reader:  # not the job's session: no connection held during the GitHub call
        installation = await repo_sql.get_installation(reader, installation_id)
    if installation is None or not installation.active:
        return []
    async with rt.github.installation(installation_id) as api:
        repos = await api.list_repositories()
    seen = set()
    for repo in repos:
        seen.add(repo.id)
        await repo_sql.upsert_repository(
            session,
            repo_id=repo.id,
            installation_id=installation_id,
            account_id=installation.account_id,
            owner=repo.owner,
            name=repo.name,
            private=repo.private,
            default_branch=repo.default_branch,
        )
    known = await repo_sql.repositories_of_installation(session, installation_id)
    await repo_sql.deactivate_repositories(session, [r.id for r in known if r.id not in seen])
    return [check_followup(repo.id, repo.default_branch, None) for repo in repos]
