"""SQL of usage counting: which result belongs to whom, and adding a batch of deltas to the usage tables."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from app.db.engine import Sessions
from app.db.models import Result, UsageDay, UsageReferrer, UsageViewer, UsageVisitor
from app.db.retry import in_transaction
from app.db.upsert import dialect_insert
from app.usage.rows import Target, UsageKey, usage_rows
from app.usage.tally import DayResult, Tally

log = logging.getLogger("contextjson.usage")

CHUNK = 500  # rows per statement: well under both databases' limits on bound parameters


async def write_usage(sessions: Sessions, tallies: dict[DayResult, Tally]) -> None:
    """Add a batch of tallies to the usage tables in one transaction (retried when it loses a deadlock)."""

    async def work(session: AsyncSession) -> int:
        targets = await result_targets(session, {result_id for _, result_id in tallies})
        rows = usage_rows(tallies, targets)
        await add_counts(session, UsageDay, rows.days, ("clicks", "cache_hits"))
        await add_counts(session, UsageReferrer, rows.referrers, ("clicks",))
        await add_counts(session, UsageViewer, rows.viewers, ("clicks",))
        await add_visitors(session, rows.visitors)
        return rows.unknown_clicks

    unknown = await in_transaction(sessions, work, name="usage.flush")
    if unknown:
        log.warning("usage.unknown_results clicks=%d", unknown)


async def result_targets(session: AsyncSession, result_ids: Iterable[str]) -> dict[str, Target]:
    """The account, repository and context id of each result that has them (visitor link results do)."""
    ids = sorted(result_ids)
    targets: dict[str, Target] = {}
    for start in range(0, len(ids), CHUNK):
        stmt = select(col(Result.id), col(Result.account_id), col(Result.repository_id), col(Result.context_id)).where(
            col(Result.id).in_(ids[start : start + CHUNK]),
            col(Result.account_id).is_not(None),
            col(Result.repository_id).is_not(None),
            col(Result.context_id).is_not(None),
        )
        rows: Any = await session.execute(stmt)  # the filters above make every column non-null
        for result_id, account_id, repository_id, context_id in rows:
            targets[result_id] = Target(account_id, repository_id, context_id)
    return targets


def _table(model: type[SQLModel]) -> Table:
    return model.__table__  # type: ignore[attr-defined, no-any-return]


def _chunks(values: list[dict[str, Any]]) -> Iterable[list[dict[str, Any]]]:
    return (values[start : start + CHUNK] for start in range(0, len(values), CHUNK))


async def add_counts(
    session: AsyncSession, model: type[SQLModel], deltas: Mapping[UsageKey, tuple[int, ...]], counts: Sequence[str]
) -> None:
    """INSERT … ON CONFLICT DO UPDATE adding each delta to its row (keys sorted, so writers lock in one order)."""
    table = _table(model)
    keys = [column.name for column in table.primary_key.columns]
    values = [
        dict(zip(keys, key, strict=True)) | dict(zip(counts, delta, strict=True))
        for key, delta in sorted(deltas.items())
    ]
    for chunk in _chunks(values):
        stmt = dialect_insert(session, table).values(chunk)
        added = {name: table.c[name] + stmt.excluded[name] for name in counts}
        await session.execute(stmt.on_conflict_do_update(index_elements=keys, set_=added))


async def add_visitors(session: AsyncSession, visitors: set[UsageKey]) -> None:
    """Record each (account, day, repository, visitor hash) once, however many processes saw it."""
    table = _table(UsageVisitor)
    keys = [column.name for column in table.primary_key.columns]
    values = [dict(zip(keys, key, strict=True)) for key in sorted(visitors)]
    for chunk in _chunks(values):
        await session.execute(dialect_insert(session, table).values(chunk).on_conflict_do_nothing(index_elements=keys))
