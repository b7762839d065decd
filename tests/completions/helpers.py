"""An API caller: an owner account with a key, and the official OpenAI SDK pointed at the service."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
from openai import AsyncOpenAI
from sqlalchemy import select

from app.db.models import Account, LedgerEntry, Result
from tests.api_keys.helpers import create_key
from tests.auth.helpers import install, log_in
from tests.conftest import Service


@dataclass
class Caller:
    service: Service
    key: str
    key_id: int
    account_id: int

    def sdk(self, key: str | None = None, base: str = "http://contextjson.test/v1", **options: Any) -> AsyncOpenAI:
        """The official SDK, reaching the app in this event loop; no retries, so each error is seen as sent."""
        transport = httpx.ASGITransport(app=self.service.app)
        http = httpx.AsyncClient(transport=transport, base_url="http://contextjson.test")
        options.setdefault("max_retries", 0)
        return AsyncOpenAI(api_key=key or self.key, base_url=base, http_client=http, **options)

    async def settled(self) -> None:
        """Until the charges of answered calls are written (a non-streamed call is charged beside its response)."""
        await self.service.clients.settlements.drain()

    async def account(self) -> Account:
        await self.settled()
        async with self.service.clients.sessions() as session:
            found = await session.get(Account, self.account_id)
        assert found is not None
        return found

    async def ledger(self) -> list[LedgerEntry]:
        await self.settled()
        async with self.service.clients.sessions() as session:
            stmt = select(LedgerEntry).where(LedgerEntry.account_id == self.account_id).order_by(LedgerEntry.id)
            return list((await session.execute(stmt)).scalars())

    async def results(self) -> list[Result]:
        await self.settled()
        async with self.service.clients.sessions() as session:
            stmt = select(Result).where(Result.account_id == self.account_id).order_by(Result.created_at)
            return list((await session.execute(stmt)).scalars())

    async def assert_reconciles(self) -> None:
        """The balance is the ledger's sum; each debit is its result's cost; nothing stays reserved."""
        account, ledger, results = await self.account(), await self.ledger(), await self.results()
        assert sum(entry.amount_micros for entry in ledger) == account.balance_micros
        assert account.reserved_micros == 0 and all(result.reserved_micros == 0 for result in results)
        costs = {result.id: result.cost_micros for result in results}
        for entry in ledger:
            if entry.result_id is not None:
                assert -entry.amount_micros == costs[entry.result_id]


async def api_caller(service: Service, fake_github: Any, login: str = "alice", **key: Any) -> Caller:
    account_id = await install(service, fake_github, 101, login)
    await log_in(service, fake_github, login)
    created = (await create_key(service, **key)).json()
    service.client.cookies.clear()  # the API is used with the key alone
    return Caller(service, created["key"], created["id"], account_id)


def usd(micros: int) -> Decimal:
    return Decimal(micros) / 1_000_000
