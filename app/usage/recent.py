"""A repository's latest answers, for its dashboard page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.billing.money import usd_text
from app.db.models import Result, ResultStatus


@dataclass(frozen=True)
class RecentResult:
    id: str
    context_id: str | None
    branch: str | None
    status: ResultStatus
    reused: bool  # an identical earlier answer, copied for free
    cost_micros: int
    created_at: datetime

    @property
    def cost_usd(self) -> str:
        return usd_text(self.cost_micros)


async def recent_results(session: AsyncSession, repository_id: int, limit: int = 10) -> list[RecentResult]:
    """The repository's newest answers (any status), newest first."""
    stmt = (
        select(
            col(Result.id),
            col(Result.context_id),
            col(Result.branch),
            col(Result.status),
            col(Result.cached_from),
            col(Result.cost_micros),
            col(Result.created_at),
        )
        .where(col(Result.repository_id) == repository_id)
        .order_by(col(Result.created_at).desc(), col(Result.id))
        .limit(limit)
    )
    return [
        RecentResult(rid, context_id, branch, ResultStatus(status), cached_from is not None, cost, created)
        for rid, context_id, branch, status, cached_from, cost, created in await session.execute(stmt)
    ]
