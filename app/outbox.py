"""Follow-up jobs that survive a queue outage: staged in the job's own transaction, dispatched after it.

A job's follow-ups (a check after a push, a sync after an install) used to be enqueued right after the
commit; if Redis went away in between they were lost, since the work that asked for them was already
marked done. Now they are written to `job_outbox` with that work, enqueued after the commit and then
deleted. Rows left behind (the queue was down) are enqueued by the periodic requeue. A follow-up may
therefore run twice, never zero times; jobs are idempotent.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from app.db.models import OutboxJob, utcnow
from app.jobs_catalog import JobCall
from app.queue import JobQueue

log = logging.getLogger("contextjson.jobs")


async def stage(session: AsyncSession, followups: list[JobCall]) -> list[tuple[int, JobCall]]:
    """Write the follow-ups in the caller's transaction; returns their row ids, for `dispatch`."""
    rows = [OutboxJob(name=f.name, args=list(f.args), job_id=f.job_id, created_at=utcnow()) for f in followups]
    session.add_all(rows)
    await session.flush()
    return [(row.id, followup) for row, followup in zip(rows, followups, strict=True) if row.id is not None]


async def dispatch(
    sessions: async_sessionmaker[AsyncSession], queue: JobQueue, staged: list[tuple[int, JobCall]]
) -> int:
    """Enqueue staged follow-ups (after their commit) and delete the rows of those enqueued; returns how many."""
    done: list[int] = []
    try:
        for row_id, followup in staged:
            await queue.enqueue(followup)
            done.append(row_id)
    except Exception as exc:  # the queue is away: the rows stay, and the periodic requeue sends them later
        log.warning("jobs.followups_deferred count=%d error=%s", len(staged) - len(done), exc)
    if done:
        async with sessions() as session:
            await session.execute(delete(OutboxJob).where(col(OutboxJob.id).in_(done)))
            await session.commit()
    return len(done)


async def stale(session: AsyncSession, older_than: timedelta, limit: int = 500) -> list[tuple[int, JobCall]]:
    """Staged follow-ups older than `older_than` that were never dispatched."""
    stmt = (
        select(OutboxJob)
        .where(col(OutboxJob.created_at) <= utcnow() - older_than)
        .order_by(col(OutboxJob.id))
        .limit(limit)
    )
    rows = (await session.execute(stmt)).scalars()
    return [(row.id, JobCall(row.name, tuple(row.args), row.job_id)) for row in rows if row.id is not None]
