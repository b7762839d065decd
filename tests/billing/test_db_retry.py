"""A unit of work that loses a deadlock (PostgreSQL) or meets a locked database (SQLite) is run again, whole."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from app.clients import build_clients
from app.db.models import Account
from app.db.retry import in_transaction
from app.settings import Settings
from tests import db


async def _seed_accounts(sessions: async_sessionmaker[AsyncSession]) -> list[int]:
    async with sessions() as session:
        accounts = [Account(github_id=i, login=f"owner{i}") for i in (1, 2)]
        session.add_all(accounts)
        await session.commit()
        return [a.id for a in accounts if a.id is not None]


async def _lock(session: AsyncSession, account_id: int) -> None:
    await session.execute(select(Account).where(Account.id == account_id).with_for_update(key_share=True))


async def test_the_loser_of_a_deadlock_runs_again(postgres_url: str, caplog: pytest.LogCaptureFixture) -> None:
    await db.empty_postgres_tables(postgres_url)
    rt = build_clients(Settings(database_url=postgres_url))
    try:
        first, second = await _seed_accounts(rt.sessions)
        both_hold_one = asyncio.Barrier(2)
        runs: Counter[str] = Counter()

        def crossing(name: str, a: int, b: int) -> Callable[[AsyncSession], Awaitable[None]]:
            async def work(session: AsyncSession) -> None:
                runs[name] += 1
                await _lock(session, a)
                if runs[name] == 1:  # the first attempts meet, each holding what the other wants next
                    await asyncio.wait_for(both_hold_one.wait(), 10)
                await _lock(session, b)
                grow = update(Account).where(Account.id == a).values(balance_micros=Account.balance_micros + 1)
                await session.execute(grow)

            return work

        await asyncio.gather(
            in_transaction(rt.sessions, crossing("ab", first, second), name="ab"),
            in_transaction(rt.sessions, crossing("ba", second, first), name="ba"),
        )
        assert sorted(runs.values()) == [1, 2]  # PostgreSQL aborted one of them, which then ran again
        assert any("db.retry" in r.getMessage() and "deadlock" in r.getMessage() for r in caplog.records)
        async with rt.sessions() as session:
            balances = (await session.execute(select(Account.balance_micros).order_by(Account.id))).scalars().all()
        assert balances == [1, 1]  # each unit's write happened exactly once
    finally:
        await rt.close()


async def test_other_errors_are_not_retried(postgres_url: str) -> None:
    await db.empty_postgres_tables(postgres_url)
    rt = build_clients(Settings(database_url=postgres_url))
    runs = 0

    async def duplicate(session: AsyncSession) -> None:
        nonlocal runs
        runs += 1
        session.add_all([Account(github_id=9, login="a"), Account(github_id=9, login="b")])
        await session.flush()

    try:
        with pytest.raises(IntegrityError):
            await in_transaction(rt.sessions, duplicate, name="duplicate")
        assert runs == 1
    finally:
        await rt.close()


async def test_a_locked_sqlite_database_is_waited_out(sqlite_template: Path, tmp_path: Path) -> None:
    url = db.sqlite_copy(sqlite_template, tmp_path).replace("sqlite://", "sqlite+aiosqlite://")
    # No busy timeout: a competing writer makes SQLite answer "database is locked" at once.
    engine = create_async_engine(url, connect_args={"timeout": 0})
    holder_engine = create_async_engine(url, connect_args={"timeout": 0})
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    let_go, released = asyncio.Event(), asyncio.Event()
    runs = 0

    async def hold_write_lock() -> None:
        async with holder_engine.connect() as conn:
            await conn.execute(text("BEGIN IMMEDIATE"))
            await let_go.wait()
            await conn.execute(text("COMMIT"))
        released.set()

    async def insert(session: AsyncSession) -> None:
        nonlocal runs
        runs += 1
        if runs == 2:  # the first attempt was refused: now let the other writer finish
            let_go.set()
            await released.wait()
        session.add(Account(github_id=5, login="late"))
        await session.flush()

    try:
        holder = asyncio.create_task(hold_write_lock())
        await asyncio.sleep(0.05)
        await in_transaction(sessions, insert, name="insert")
        await holder
        assert runs == 2
        async with sessions() as session:
            assert (await session.execute(select(Account.login))).scalars().all() == ["late"]
    finally:
        await engine.dispose()
        await holder_engine.dispose()
