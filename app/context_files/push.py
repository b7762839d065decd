"""Which pushes need a context.json check."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import repository as repo_sql
from app.context_files import heads
from app.db.models import Installation
from app.jobs_catalog import JobCall, check_context_file_job
from github_app import PushEvent

CONTEXT_FILE_PATH = "context.json"


def needs_check(event: PushEvent) -> bool:
    """A branch push that may have changed context.json at its new head."""
    if event.branch is None or event.deleted:
        return False
    # New branches, force pushes and pushes GitHub sent without a commit list may change the file
    # without any listed commit touching it.
    return event.touches(CONTEXT_FILE_PATH) or event.created or event.forced or not event.commits


async def apply_push(session: AsyncSession, event: PushEvent) -> list[JobCall]:
    """Record the repository the push came from and ask for a check when context.json may have changed."""
    if event.installation is None:
        return []
    installation = await repo_sql.get_installation(session, event.installation.id)
    if installation is None:
        installation = await _adopt_installation(session, event)
    elif not installation.active:
        return []
    owner = event.repository.owner
    await repo_sql.upsert_repository(
        session,
        repo_id=event.repository.id,
        installation_id=installation.id,
        account_id=installation.account_id,
        owner=owner.login,
        name=event.repository.name,
        private=event.repository.private,
        default_branch=event.repository.default_branch,
    )
    if event.branch is not None:
        if event.deleted:
            await heads.forget_head(session, event.repository.id, event.branch)
        else:
            await heads.set_head(session, event.repository.id, event.branch, event.after)
    if not needs_check(event):
        return []
    return [check_context_file_job(event.repository.id, event.branch, event.after)]


async def _adopt_installation(session: AsyncSession, event: PushEvent) -> Installation:
    """The App was installed before this service saw it: record the installation from the push."""
    assert event.installation is not None
    owner = event.repository.owner
    account = await repo_sql.upsert_account(session, github_id=owner.id, login=owner.login, type_=owner.type)
    assert account.id is not None
    return await repo_sql.upsert_installation(
        session,
        installation_id=event.installation.id,
        account_id=account.id,
        repository_selection="selected",
        permissions={},
        suspended=False,
    )
