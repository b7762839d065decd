"""SQL for results."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.db.models import Result, ResultKind, ResultStatus, utcnow
from app.db.upsert import insert_ignore

_LIVE = text(f"status <> '{ResultStatus.FAILED}'")


async def get_result(session: AsyncSession, result_id: str) -> Result | None:
    return await session.get(Result, result_id)


async def live_result_for_link(session: AsyncSession, link_key: str) -> str | None:
    """The pending, streaming or done result of a link key, if any."""
    stmt = select(col(Result.id)).where(col(Result.link_key) == link_key, col(Result.status) != ResultStatus.FAILED)
    return (await session.execute(stmt)).scalar_one_or_none()


async def insert_link_result(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert a pending result unless a live one holds the same link key (single flight); True if inserted."""
    return await insert_ignore(session, Result, values, ["link_key"], where=_LIVE) is not None


async def delete_result(session: AsyncSession, result_id: str) -> None:
    """Remove a result created in this transaction that must not go ahead."""
    await session.execute(delete(Result).where(col(Result.id) == result_id))


async def last_good_result(session: AsyncSession, repository_id: int, context_id: str) -> Result | None:
    """The newest finished answer for a context id (shown, marked older, when a new one can't be made)."""
    stmt = (
        select(Result)
        .where(
            col(Result.repository_id) == repository_id,
            col(Result.context_id) == context_id,
            col(Result.status) == ResultStatus.DONE,
        )
        .order_by(col(Result.finished_at).desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def done_result_with_cache_key(session: AsyncSession, cache_key: str, exclude: str) -> Result | None:
    """A finished answer to exactly the same request (model, messages, parameters)."""
    stmt = (
        select(Result)
        .where(col(Result.cache_key) == cache_key, col(Result.status) == ResultStatus.DONE, col(Result.id) != exclude)
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def unfinished_result_ids(
    session: AsyncSession, older_than: timedelta = timedelta(0), limit: int = 500
) -> list[str]:
    """Results left pending or streaming (by a crash, or a lost enqueue), created before `older_than` ago.

    Results that used up their attempts are included, oldest first: their job does not generate again, it
    marks them failed and gives their reservation back, so after one more run they are never listed again.
    """
    stmt = (
        select(col(Result.id))
        .where(
            col(Result.status).in_([ResultStatus.PENDING, ResultStatus.STREAMING]),
            col(Result.created_at) <= utcnow() - older_than,
            col(Result.kind) == ResultKind.LINK,  # API calls run in the web process (app.completions.accounting)
        )
        .order_by(col(Result.created_at))
        .limit(limit)
    )
    return list((await session.execute(stmt)).scalars())


async def start_attempt(session: AsyncSession, result_id: str) -> Result | None:
    """Count one more generation start of an unfinished result; None when it is finished or gone."""
    stmt = select(Result).where(col(Result.id) == result_id).with_for_update(key_share=True)
    result = (await session.execute(stmt)).scalar_one_or_none()
    if result is None or result.status.finished:
        return None
    result.attempts += 1
    session.add(result)
    return result


async def store_html(session: AsyncSession, result_id: str, html: str) -> None:
    """Keep the rendered answer of a finished result (rows finished before answers were stored have none)."""
    stmt = update(Result).where(col(Result.id) == result_id, col(Result.html).is_(None)).values(html=html)
    await session.execute(stmt)


async def save_partial_text(session: AsyncSession, result_id: str, text_so_far: str) -> None:
    """Persist the text streamed so far (for no-JavaScript pages and crash visibility)."""
    await session.execute(update(Result).where(col(Result.id) == result_id).values(text=text_so_far))
