"""Reservations under concurrency: the balance never goes below zero, whatever the interleaving."""

from __future__ import annotations

import asyncio
import random

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.billing import budget
from app.billing.ledger import ledger_balance
from app.clients import Clients, build_clients
from app.db.models import Account, Repository, Result, utcnow
from app.db.retry import in_transaction
from app.models_catalog import load_catalog
from app.settings import Settings


async def _seed(rt: Clients, *, balance: int, results: int, cap: int | None = None) -> tuple[int, list[str]]:
    async with rt.sessions() as session:
        account = Account(github_id=1, login="payer", type="User", balance_micros=balance)
        session.add(account)
        await session.flush()
        assert account.id is not None
        session.add(
            Repository(
                id=77,
                account_id=account.id,
                owner="payer",
                name="r",
                owner_lower="payer",
                name_lower="r",
                monthly_cap_micros=cap,
            )
        )
        await session.flush()
        ids = [f"result{i:04d}xx" for i in range(results)]
        for rid in ids:
            session.add(Result(id=rid, model="gpt-4.1", account_id=account.id, repository_id=77, created_at=utcnow()))
        await session.commit()
        return account.id, ids


async def _try_reserve(rt: Clients, result_id: str, amount: int) -> budget.Refusal | None:
    async def work(session: AsyncSession) -> budget.Refusal | None:
        locked = await budget.lock_for_money(session, result_id, repository=True)
        assert locked is not None
        return await budget.reserve(session, locked, amount)

    return await in_transaction(rt.sessions, work, name="test.reserve")


async def _reserve(rt: Clients, result_id: str, amount: int) -> bool:
    return await _try_reserve(rt, result_id, amount) is None


async def _settle(rt: Clients, result_id: str, actual: int) -> int:
    async def work(session: AsyncSession) -> int:
        locked = await budget.lock_for_money(session, result_id)
        assert locked is not None
        return await budget.settle(session, locked.result, actual)

    return await in_transaction(rt.sessions, work, name="test.settle")


async def _account(rt: Clients, account_id: int) -> Account:
    async with rt.sessions() as session:
        return (await session.execute(select(Account).where(Account.id == account_id))).scalar_one()


async def test_concurrent_reservations_never_overdraw(settings: Settings) -> None:
    rt = build_clients(settings)
    try:
        account_id, ids = await _seed(rt, balance=1_000, results=60)
        granted = await asyncio.gather(*(_reserve(rt, rid, 100) for rid in ids))
        assert sum(granted) == 10  # exactly what the balance covers, no more
        acct = await _account(rt, account_id)
        assert (acct.balance_micros, acct.reserved_micros) == (1_000, 1_000)

        winners = [rid for rid, ok in zip(ids, granted, strict=True) if ok]
        actual = {rid: random.randint(0, 150) for rid in winners}  # some report more than was reserved
        charges = await asyncio.gather(*(_settle(rt, rid, actual[rid]) for rid in winners))
        assert charges == [min(actual[rid], 100) for rid in winners]
        acct = await _account(rt, account_id)
        assert acct.reserved_micros == 0 and acct.balance_micros == 1_000 - sum(charges) >= 0
        async with rt.sessions() as session:
            assert await ledger_balance(session, account_id) == -sum(charges)  # only debits were written here
    finally:
        await rt.close()


async def test_settling_twice_charges_once(settings: Settings) -> None:
    rt = build_clients(settings)
    try:
        account_id, [rid] = await _seed(rt, balance=1_000, results=1)
        assert await _reserve(rt, rid, 400)
        assert await _reserve(rt, rid, 400)  # a re-run keeps its reservation instead of taking another
        assert (await _account(rt, account_id)).reserved_micros == 400
        assert await _settle(rt, rid, 300) == 300
        async with rt.sessions() as session:  # a crash between charge and status: the charge is keyed
            await session.execute(update(Result).where(Result.id == rid).values(reserved_micros=400))
            await session.commit()
        assert await _settle(rt, rid, 300) == 0
        acct = await _account(rt, account_id)
        assert acct.balance_micros == 700
    finally:
        await rt.close()


async def test_monthly_repo_cap(settings: Settings) -> None:
    rt = build_clients(settings)
    try:
        _, ids = await _seed(rt, balance=1_000_000, results=3, cap=500)
        assert await _reserve(rt, ids[0], 300)
        assert await _try_reserve(rt, ids[1], 300) == "repo_cap"  # 300 in flight + 300 > 500
        assert await _settle(rt, ids[0], 250) == 250
        assert await _reserve(rt, ids[1], 250)  # 250 spent + 250 = 500: allowed
        assert await _try_reserve(rt, ids[2], 1) is budget.Refusal.REPO_CAP
    finally:
        await rt.close()


def test_cost_follows_the_price_list_exactly() -> None:
    price = load_catalog(Settings().models_file).get("gpt-4.1")  # 2 USD / M input, 8 USD / M output
    assert budget.cost_micros(price, 1_000_000, 0) == 2_000_000
    assert budget.cost_micros(price, 0, 1_000) == 8_000
    assert budget.cost_micros(price, 1, 0) == 2  # 0.000002 USD
    assert budget.cost_micros(price, 1, 1) == 10
