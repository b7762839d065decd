"""SQL for context.json snapshots."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.db.models import ContextFile, ContextFileStatus, utcnow
from app.db.upsert import upsert


async def save_context_file(
    session: AsyncSession,
    *,
    repository_id: int,
    branch: str,
    commit_sha: str,
    status: ContextFileStatus,
    document: dict[str, Any] | None,
    entries: dict[str, Any],
    errors: list[str],
    check_run_id: int | None = None,
) -> ContextFile:
    """Store (or replace) what context.json held at this repo/branch/commit; keeps a known check run id."""
    await upsert(
        session,
        ContextFile,
        {
            "repository_id": repository_id,
            "branch": branch,
            "commit_sha": commit_sha,
            "status": status,
            "document": document,
            "entries": entries,
            "errors": errors,
            "check_run_id": check_run_id,
            "created_at": utcnow(),
        },
        conflict=["repository_id", "branch", "commit_sha"],
        # A job that left publishing to another keeps the run id the other one stored.
        update=["status", "document", "entries", "errors", *(["check_run_id"] if check_run_id is not None else [])],
    )
    row = await find_context_file(session, repository_id, branch, commit_sha)
    assert row is not None
    await session.refresh(row)
    return row


async def find_context_file(
    session: AsyncSession, repository_id: int, branch: str, commit_sha: str
) -> ContextFile | None:
    """What was stored for this repo/branch/commit, if it was checked before."""
    stmt = select(ContextFile).where(
        col(ContextFile.repository_id) == repository_id,
        col(ContextFile.branch) == branch,
        col(ContextFile.commit_sha) == commit_sha,
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def latest_for_branch(session: AsyncSession, repository_id: int, branch: str) -> ContextFile | None:
    """The most recently checked context.json of a branch."""
    stmt = (
        select(ContextFile)
        .where(col(ContextFile.repository_id) == repository_id, col(ContextFile.branch) == branch)
        .order_by(col(ContextFile.id).desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def latest_outline(
    session: AsyncSession, repository_id: int, branch: str
) -> tuple[ContextFileStatus, dict[str, Any], list[str]] | None:
    """Status, entries and errors of the branch's latest context.json, without the (large) document."""
    stmt = (
        select(col(ContextFile.status), col(ContextFile.entries), col(ContextFile.errors))
        .where(col(ContextFile.repository_id) == repository_id, col(ContextFile.branch) == branch)
        .order_by(col(ContextFile.id).desc())
        .limit(1)
    )
    row = (await session.execute(stmt)).first()
    return (ContextFileStatus(row[0]), row[1], row[2]) if row is not None else None
