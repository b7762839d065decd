"""One check run per repository, branch and commit, however many jobs check that commit at once.

A push and an installation sync often check the same head together; both would create a check run, and
the commit would show two. The first job to claim the commit creates the run; a job that finds a claim
updates the recorded run, or leaves publishing to the claimant while it is still at work. A claim left
without a run for CLAIM_TIMEOUT (its job died) may be taken over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import ColumnElement, and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from app.db.models import CheckClaim, utcnow
from app.db.upsert import insert_ignore

CLAIM_TIMEOUT = timedelta(minutes=5)


@dataclass(frozen=True)
class Claim:
    owned: bool  # this job creates the check run
    check_run_id: int | None  # the run to update, when one was recorded


def _where(repository_id: int, branch: str, sha: str) -> ColumnElement[bool]:
    return and_(
        col(CheckClaim.repository_id) == repository_id,
        col(CheckClaim.branch) == branch,
        col(CheckClaim.commit_sha) == sha,
    )


async def claim(sessions: async_sessionmaker[AsyncSession], repository_id: int, branch: str, sha: str) -> Claim:
    """Claim publishing the commit's check run (committed at once, so other jobs see it)."""
    async with sessions() as session:
        values = {"repository_id": repository_id, "branch": branch, "commit_sha": sha, "claimed_at": utcnow()}
        if await insert_ignore(session, CheckClaim, values, ["repository_id", "branch", "commit_sha"]) is not None:
            await session.commit()
            return Claim(owned=True, check_run_id=None)
        row = (await session.execute(select(CheckClaim).where(_where(repository_id, branch, sha)))).scalar_one()
        if row.check_run_id is not None:
            return Claim(owned=False, check_run_id=row.check_run_id)
        # Still being published by its claimant, unless abandoned: then take it over (compared in SQL,
        # where both databases order the stored times; only one job can win the update).
        taken = await session.execute(
            update(CheckClaim)
            .where(
                _where(repository_id, branch, sha),
                col(CheckClaim.check_run_id).is_(None),
                col(CheckClaim.claimed_at) < utcnow() - CLAIM_TIMEOUT,
            )
            .values(claimed_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        await session.commit()
        return Claim(owned=taken.rowcount == 1, check_run_id=None)  # type: ignore[attr-defined]


async def record(
    sessions: async_sessionmaker[AsyncSession], repository_id: int, branch: str, sha: str, check_run_id: int
) -> None:
    """Remember the run the claimant created, for later re-runs to update."""
    async with sessions() as session:
        stmt = update(CheckClaim).where(_where(repository_id, branch, sha)).values(check_run_id=check_run_id)
        await session.execute(stmt)
        await session.commit()
