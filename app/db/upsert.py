"""Dialect-aware INSERT … ON CONFLICT helpers (the same code runs on SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel


def dialect_insert(session: AsyncSession, table: Table) -> Any:
    """An INSERT that supports ON CONFLICT on the session's database."""
    dialect = session.get_bind().dialect.name
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


def _table(model: type[SQLModel]) -> Table:
    return model.__table__  # type: ignore[attr-defined, no-any-return]


async def insert_ignore(
    session: AsyncSession,
    model: type[SQLModel],
    values: dict[str, Any],
    conflict: Sequence[str],
    *,
    where: Any = None,
) -> Any | None:
    """Insert a row unless one with the same `conflict` columns exists; returns the new primary key or None.

    `where` names the predicate of a partial unique index (e.g. "live results only").
    """
    table = _table(model)
    stmt = (
        dialect_insert(session, table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=list(conflict), index_where=where)
    )
    pk = next(iter(table.primary_key.columns))
    result = await session.execute(stmt.returning(pk))
    return result.scalar_one_or_none()


async def upsert(
    session: AsyncSession,
    model: type[SQLModel],
    values: dict[str, Any],
    conflict: Sequence[str],
    update: Sequence[str],
) -> None:
    """Insert a row, or update the `update` columns of the existing row with the same `conflict` columns."""
    table = _table(model)
    stmt = dialect_insert(session, table).values(**values)
    stmt = stmt.on_conflict_do_update(index_elements=list(conflict), set_={col: stmt.excluded[col] for col in update})
    await session.execute(stmt)
