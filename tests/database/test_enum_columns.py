"""Status and kind columns hold plain strings in the database, and read back as enum members, on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import StatementError

from app.db.engine import create_engine, create_sessionmaker
from app.db.models import Account, LedgerEntry, LedgerKind, Result, ResultKind, ResultStatus, utcnow


async def test_members_are_stored_as_their_values_and_read_back_as_members(database_url: str) -> None:
    engine = create_engine(database_url)
    sessions = create_sessionmaker(engine)
    try:
        async with sessions() as session:
            account = Account(github_id=1, login="octo")
            session.add(account)
            await session.flush()
            session.add(Result(id="r1", model="gpt-4.1", status=ResultStatus.STREAMING, created_at=utcnow()))
            session.add(LedgerEntry(account_id=account.id, kind=LedgerKind.CREDIT, amount_micros=5))
            await session.commit()

        async with engine.connect() as conn:
            raw = (await conn.execute(text("SELECT kind, status FROM results WHERE id = 'r1'"))).one()
            assert tuple(raw) == ("link", "streaming") and type(raw[1]) is str
            assert (await conn.execute(text("SELECT kind FROM ledger_entries"))).scalar_one() == "credit"
            # Rows written as plain strings (by SQL, or by an earlier release) read back as members.
            await conn.execute(text("UPDATE results SET status = 'done' WHERE id = 'r1'"))
            await conn.commit()

        async with sessions() as session:
            result = await session.get(Result, "r1")
            assert result is not None
            assert result.status is ResultStatus.DONE and result.kind is ResultKind.LINK and result.status.finished
    finally:
        await engine.dispose()


async def test_a_value_outside_the_set_is_refused_on_write(database_url: str) -> None:
    engine = create_engine(database_url)
    sessions = create_sessionmaker(engine)
    try:
        async with sessions() as session:
            session.add(Result(id="r2", model="gpt-4.1", status="finished", created_at=utcnow()))  # type: ignore[arg-type]
            with pytest.raises(StatementError, match="finished"):
                await session.commit()
    finally:
        await engine.dispose()
