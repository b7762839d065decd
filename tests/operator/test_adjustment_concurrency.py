"""Adjustments racing each other and generation reservations on one account: the balance never drops below
what is reserved, and the cached balance always equals the sum of the ledger."""

from __future__ import annotations

import asyncio
import random

from sqlalchemy import select, update
from sqlmodel import col

from app.billing.adjustments import AdjustmentExceedsBalance, adjustment_request
from app.db.models import Account
from app.db.retry import in_transaction
from app.operator.service import make_adjustment
from tests.conftest import Service
from tests.topups.helpers import add_account, ledger, money

HALF = 500_000  # micro-dollars


async def test_racing_adjustments_and_reservations_never_overdraw(service: Service) -> None:
    sessions = service.clients.sessions
    account_id = await add_account(sessions, "octo")
    await make_adjustment(sessions, "octo", adjustment_request("10", "opening balance", by="ops-lead"))
    outcomes: list[str] = []

    async def take_back(i: int) -> None:
        await asyncio.sleep(random.uniform(0, 0.01))
        request = adjustment_request("-0.5", f"correction {i}", by="ops-lead")
        try:
            await make_adjustment(sessions, "OCTO", request)
            outcomes.append("taken")
        except AdjustmentExceedsBalance:
            outcomes.append("refused")

    async def give(i: int) -> None:
        await asyncio.sleep(random.uniform(0, 0.01))
        await make_adjustment(sessions, "octo", adjustment_request("0.25", f"goodwill {i}", by="ops-lead"))

    async def reserve(_: int) -> None:
        """What app.billing.budget.reserve does to the account: a conditional UPDATE of the reservation."""
        await asyncio.sleep(random.uniform(0, 0.01))

        async def work(session: object) -> None:
            await session.execute(  # type: ignore[attr-defined]
                update(Account)
                .where(col(Account.id) == account_id)
                .where(col(Account.balance_micros) - col(Account.reserved_micros) >= HALF)
                .values(reserved_micros=col(Account.reserved_micros) + HALF)
            )

        await in_transaction(sessions, work, name="test.reserve")

    tasks = [take_back(i) for i in range(24)] + [give(i) for i in range(8)] + [reserve(i) for i in range(8)]
    random.shuffle(tasks)
    await asyncio.gather(*tasks)

    async with sessions() as session:
        account = (await session.execute(select(Account).where(col(Account.id) == account_id))).scalar_one()
    assert account.balance_micros >= account.reserved_micros >= 0
    taken = outcomes.count("taken")
    assert len(outcomes) == 24 and taken >= 12  # a refusal means under $0.50 left over at most $4 reserved
    assert account.balance_micros == 10_000_000 + 8 * 250_000 - taken * HALF
    assert await money(sessions, account_id) == (account.balance_micros, account.balance_micros)
    assert len(await ledger(sessions, account_id)) == 1 + 8 + taken  # refused ones left no entry behind
