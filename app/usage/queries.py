"""SQL of the usage report: counted clicks, and generations, tokens and money read from results and the ledger.

Every figure is grouped by UTC day. Money comes from the ledger rows tied to a result, so what the report
says was spent is exactly what the ledger debited.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, case, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from app.db.models import (
    LedgerEntry,
    Repository,
    Result,
    ResultStatus,
    UsageDay,
    UsageReferrer,
    UsageViewer,
    UsageVisitor,
)


def utc_day(session: AsyncSession, column: Any) -> ColumnElement[Any]:
    """The UTC calendar day of a timestamp column, on either database (read back through `as_date`)."""
    if session.get_bind().dialect.name == "postgresql":
        # A literal, not a bound parameter: the same expression must match itself in SELECT and GROUP BY.
        return func.date(func.timezone(literal_column("'UTC'"), column))
    return func.date(column)  # SQLite keeps UTC timestamps as text


def as_date(value: date | str) -> date:
    """A day as the database returned it (a date on PostgreSQL, ISO text on SQLite)."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """From the start of `start` to the start of the day after `end` (UTC)."""
    return datetime.combine(start, time(), UTC), datetime.combine(end + timedelta(days=1), time(), UTC)


def _in_repos(column: Any, repo_ids: Collection[int] | None) -> Any:
    return col(column).in_(list(repo_ids)) if repo_ids is not None else True


async def counted_clicks(
    session: AsyncSession, account_id: int, repo_ids: Collection[int] | None, start: date, end: date
) -> list[Any]:
    """(day, repository id, context id, clicks, cache hits) rows written by the click counters."""
    stmt = select(
        col(UsageDay.day),
        col(UsageDay.repository_id),
        col(UsageDay.context_id),
        col(UsageDay.clicks),
        col(UsageDay.cache_hits),
    )
    stmt = stmt.where(
        col(UsageDay.account_id) == account_id,
        col(UsageDay.day) >= start,
        col(UsageDay.day) <= end,
        _in_repos(UsageDay.repository_id, repo_ids),
    )
    return list((await session.execute(stmt)).all())


async def finished_results(
    session: AsyncSession, account_id: int, repo_ids: Collection[int] | None, start: date, end: date
) -> list[Any]:
    """(day, repository, context, generations, reused, failures, prompt tokens, completion tokens) by day finished.

    A generation called the model; a reused result copied an identical finished answer for free.
    """
    day = utc_day(session, Result.finished_at)
    done = col(Result.status) == ResultStatus.DONE
    generated = and_(done, col(Result.cached_from).is_(None))

    def count(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    def tokens(column: Any) -> Any:
        return func.sum(case((generated, func.coalesce(column, 0)), else_=0))

    low, high = _bounds(start, end)
    stmt = select(
        day,
        col(Result.repository_id),
        col(Result.context_id),
        count(generated),
        count(and_(done, col(Result.cached_from).is_not(None))),
        count(col(Result.status) == ResultStatus.FAILED),
        tokens(Result.prompt_tokens),
        tokens(Result.completion_tokens),
    ).where(
        col(Result.account_id) == account_id,
        col(Result.repository_id).is_not(None),
        col(Result.context_id).is_not(None),
        col(Result.finished_at) >= low,
        col(Result.finished_at) < high,
        _in_repos(Result.repository_id, repo_ids),
    )
    stmt = stmt.group_by(day, col(Result.repository_id), col(Result.context_id))
    return list((await session.execute(stmt)).all())


async def charged(
    session: AsyncSession, account_id: int, repo_ids: Collection[int] | None, start: date, end: date
) -> list[Any]:
    """(day, repository, context, micro-dollars charged) from the ledger rows of the account's results."""
    day = utc_day(session, LedgerEntry.created_at)
    low, high = _bounds(start, end)
    stmt = (
        select(day, col(Result.repository_id), col(Result.context_id), -func.sum(col(LedgerEntry.amount_micros)))
        .join(Result, col(Result.id) == col(LedgerEntry.result_id))
        .where(
            col(LedgerEntry.account_id) == account_id,
            col(LedgerEntry.created_at) >= low,
            col(LedgerEntry.created_at) < high,
            col(Result.repository_id).is_not(None),
            col(Result.context_id).is_not(None),
            _in_repos(Result.repository_id, repo_ids),
        )
        .group_by(day, col(Result.repository_id), col(Result.context_id))
    )
    return list((await session.execute(stmt)).all())


async def daily_visitors(
    session: AsyncSession, account_id: int, repo_ids: Collection[int] | None, start: date, end: date
) -> list[Any]:
    """(day, repository id, distinct visitors) rows."""
    stmt = (
        select(col(UsageVisitor.day), col(UsageVisitor.repository_id), func.count())
        .where(
            col(UsageVisitor.account_id) == account_id,
            col(UsageVisitor.day) >= start,
            col(UsageVisitor.day) <= end,
            _in_repos(UsageVisitor.repository_id, repo_ids),
        )
        .group_by(col(UsageVisitor.day), col(UsageVisitor.repository_id))
    )
    return list((await session.execute(stmt)).all())


async def referrer_clicks(
    session: AsyncSession, account_id: int, repo_ids: Collection[int] | None, start: date, end: date
) -> list[Any]:
    """(repository id, referring host, clicks) over the whole range, most clicks first."""
    return await _named_clicks(session, UsageReferrer, UsageReferrer.host, account_id, repo_ids, start, end)


async def viewer_clicks(
    session: AsyncSession, account_id: int, repo_ids: Collection[int] | None, start: date, end: date
) -> list[Any]:
    """(repository id, GitHub login, clicks) over the whole range, most clicks first."""
    return await _named_clicks(session, UsageViewer, UsageViewer.login, account_id, repo_ids, start, end)


async def _named_clicks(
    session: AsyncSession,
    model: type[UsageReferrer] | type[UsageViewer],
    name: Any,
    account_id: int,
    repo_ids: Collection[int] | None,
    start: date,
    end: date,
) -> list[Any]:
    total = func.sum(col(model.clicks))
    stmt = (
        select(col(model.repository_id), col(name), total)
        .where(
            col(model.account_id) == account_id,
            col(model.day) >= start,
            col(model.day) <= end,
            _in_repos(model.repository_id, repo_ids),
        )
        .group_by(col(model.repository_id), col(name))
        .order_by(total.desc(), col(name))
    )
    return list((await session.execute(stmt)).all())


async def repository_names(session: AsyncSession, repo_ids: Collection[int]) -> dict[int, str]:
    """owner/name of each repository id."""
    if not repo_ids:
        return {}
    stmt = select(col(Repository.id), col(Repository.owner), col(Repository.name)).where(
        col(Repository.id).in_(list(repo_ids))
    )
    return {repo_id: f"{owner}/{name}" for repo_id, owner, name in await session.execute(stmt)}
