"""Reading context.json at a commit, storing what it says, and reporting the `contextjson` check run."""

from __future__ import annotations

import asyncio
import functools
import logging
from dataclasses import dataclass, field
from typing import Any

from githubkit.exception import RequestFailed
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.accounts import repository as repo_sql
from app.context_files import claims, heads
from app.context_files import repository as ctx_sql
from app.context_files.push import CONTEXT_FILE_PATH
from app.context_files.report import CHECK_NAME, render_check, render_too_large
from app.context_files.validation import validate_context_json
from app.db.models import ContextFile, ContextFileStatus, Repository
from app.github_source import AppGitHub
from app.models_catalog import ModelCatalog
from app.settings import Settings
from github_app import CheckConclusion, CheckOutput, FileTooLarge, InstallationAPI

log = logging.getLogger("contextjson.contexts")


@dataclass(frozen=True)
class CheckClients:
    """What checking context.json uses: short sessions for reads, the App, the model list, the limits."""

    sessions: async_sessionmaker[AsyncSession]
    github: AppGitHub
    catalog: ModelCatalog
    settings: Settings


async def check_context_file(
    clients: CheckClients, session: AsyncSession, repository_id: int, branch: str | None, sha: str | None
) -> ContextFile | None:
    """Check context.json of a repo at a commit (the branch head when sha is None); None if nothing to check.

    Reads use short sessions of their own and the job's session is only written to at the end, so no
    database connection is held while GitHub answers (SQLite runs on a single shared connection).
    """
    repo = await _active_repository(clients, repository_id)
    if repo is None or repo.installation_id is None:
        return None
    head_learnt = False
    async with clients.github.installation(repo.installation_id) as api:
        branch = branch or repo.default_branch or await _default_branch(api, repo)
        if branch is None:
            return None
        if sha is None:
            head = await api.get_branch_head(repo.owner, repo.name, branch)
            if head is None:
                return None
            sha, head_learnt = head.sha, True
        snapshot, report = await _read(clients, api, repo, branch, sha)
        check_run_id = await _publish(clients, api, repo, branch, sha, *report) if report else None
    if head_learnt:
        await heads.set_head(session, repo.id, branch, sha)
    row = await _save(session, repo, branch, sha, snapshot, check_run_id)
    # No context.json here: the row remembers it (links must stop serving it) but nothing is reported.
    return row if report else None


async def _active_repository(clients: CheckClients, repository_id: int) -> Repository | None:
    async with clients.sessions() as session:
        repo = await repo_sql.get_repository(session, repository_id)
        if repo is None or not repo.active or repo.installation_id is None:
            return None
        installation = await repo_sql.get_installation(session, repo.installation_id)
        return repo if installation is not None and installation.active else None


async def _default_branch(api: InstallationAPI, repo: Repository) -> str | None:
    info = await api.get_repository(repo.owner, repo.name)
    return info.default_branch if info else None


@dataclass(frozen=True)
class _Snapshot:
    """What context.json held at one commit, ready to store."""

    status: ContextFileStatus
    document: dict[str, Any] | None = None
    entries: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


async def _read(
    clients: CheckClients, api: InstallationAPI, repo: Repository, branch: str, sha: str
) -> tuple[_Snapshot, tuple[CheckConclusion, CheckOutput] | None]:
    """Read and validate context.json at a commit: the snapshot to store and the check to report (None: no file)."""
    limit = clients.settings.context_file_max_bytes
    try:
        file = await api.get_file(repo.owner, repo.name, CONTEXT_FILE_PATH, sha, max_bytes=limit)
    except FileTooLarge as exc:
        conclusion, output = render_too_large(exc.size, limit)
        return _Snapshot(ContextFileStatus.INVALID, errors=[output.summary]), (conclusion, output)
    if file is None:
        return _Snapshot(ContextFileStatus.MISSING), None
    # Off the event loop: a hostile 1 MB file takes up to about a second to check (in-process jobs share
    # the loop with every visitor's request).
    result = await asyncio.to_thread(validate_context_json, file.content, clients.catalog.models)
    snapshot = _Snapshot(
        status=ContextFileStatus.VALID if result.ok else ContextFileStatus.INVALID,
        document=result.document,
        entries={eid: entry.to_dict() for eid, entry in result.entries.items()},
        errors=[str(issue) for issue in result.issues],
    )
    report = render_check(
        result, public_base=clients.settings.public_base, owner=repo.owner, repo=repo.name, branch=branch
    )
    return snapshot, report


async def snapshot_without_check(
    clients: CheckClients, session: AsyncSession, api: InstallationAPI, repo: Repository, branch: str, sha: str
) -> ContextFile:
    """Read and store context.json at a commit no check has seen (a link to a branch never pushed to)."""
    snapshot, _ = await _read(clients, api, repo, branch, sha)
    return await _save(session, repo, branch, sha, snapshot, None)


async def _publish(
    clients: CheckClients,
    api: InstallationAPI,
    repo: Repository,
    branch: str,
    sha: str,
    conclusion: CheckConclusion,
    output: CheckOutput,
) -> int | None:
    """Report the check run and return its id; a commit checked before keeps its run (updated, not duplicated).

    None when another job checking the same commit at this moment publishes it (the same content).
    """
    async with clients.sessions() as session:
        known = await ctx_sql.find_context_file(session, repo.id, branch, sha)
    run_id = known.check_run_id if known is not None else None
    if run_id is None:
        claimed = await claims.claim(clients.sessions, repo.id, branch, sha)
        if not claimed.owned and claimed.check_run_id is None:
            log.info("github.check_run.claimed_elsewhere repo=%s sha=%s", repo.full_name, sha)
            return None
        run_id = claimed.check_run_id
    report = functools.partial(
        api.complete_check_run,
        repo.owner,
        repo.name,
        name=CHECK_NAME,
        head_sha=sha,
        conclusion=conclusion,
        output=output,
    )
    run = None
    if run_id is not None:
        try:
            run = await report(check_run_id=run_id)
        except RequestFailed as exc:
            if exc.response.status_code != 404:
                raise  # else the run is gone (deleted with its check suite): report on a new one
    if run is None:
        run = await report()
        await claims.record(clients.sessions, repo.id, branch, sha, run.id)
    log.info("github.check_run repo=%s sha=%s conclusion=%s", repo.full_name, sha, conclusion)
    return run.id


async def _save(
    session: AsyncSession, repo: Repository, branch: str, sha: str, snapshot: _Snapshot, check_run_id: int | None
) -> ContextFile:
    return await ctx_sql.save_context_file(
        session,
        repository_id=repo.id,
        branch=branch,
        commit_sha=sha,
        status=snapshot.status,
        document=snapshot.document,
        entries=snapshot.entries,
        errors=snapshot.errors,
        check_run_id=check_run_id,
    )
