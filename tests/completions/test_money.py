"""API calls and money under pressure: concurrent calls never promise more than the balance, and a call whose
process died gives its reservation back (a caller hanging up mid-stream: test_running_service.py)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import openai
from sqlalchemy import update

from app.billing.budget import cost_micros
from app.completions.accounting import Payer, open_call, release_abandoned_calls
from app.db.models import Account, LedgerEntry, LedgerKind, Result, ResultStatus, utcnow
from tests.completions.helpers import api_caller
from tests.conftest import Service

MODEL = "gpt-4.1-mini"
QUESTION = [{"role": "user", "content": "Concurrent?"}]


async def test_concurrent_calls_never_spend_more_than_the_balance(
    service: Service, fake_github: Any, fake_llm: Any
) -> None:
    caller = await api_caller(service, fake_github)
    price = service.clients.catalog.get(MODEL)
    worst = cost_micros(price, 40, 1000)  # about one call's reservation with max_tokens=1000
    async with service.clients.sessions() as session:  # leave room for about three such calls
        spent = (await caller.account()).balance_micros - 3 * worst
        session.add(
            LedgerEntry(
                account_id=caller.account_id, kind=LedgerKind.DEBIT, amount_micros=-spent, idempotency_key="spent"
            )
        )
        await session.execute(update(Account).where(Account.id == caller.account_id).values(balance_micros=3 * worst))
        await session.commit()
    fake_llm.script("a fairly short answer")
    sdk = caller.sdk()

    async def one() -> str:
        try:
            await sdk.chat.completions.create(model=MODEL, messages=QUESTION, max_tokens=1000)
            return "ok"
        except openai.APIStatusError as exc:
            assert exc.status_code == 402, exc.body
            return "refused"

    outcomes = await asyncio.gather(*(one() for _ in range(12)))
    assert "ok" in outcomes
    account = await caller.account()
    assert account.balance_micros >= 0 and account.reserved_micros == 0
    assert fake_llm.call_count == outcomes.count("ok")
    await caller.assert_reconciles()


async def test_a_call_whose_process_died_gives_its_reservation_back(service: Service, fake_github: Any) -> None:
    caller = await api_caller(service, fake_github)

    result_id = await open_call(
        service.clients.sessions,
        Payer(caller.account_id, caller.key_id),
        model=MODEL,
        worst_micros=1234,
        stored=False,
        cache_key="k",
    )
    assert (await caller.account()).reserved_micros == 1234
    assert await release_abandoned_calls(service.clients.sessions, timedelta(minutes=30)) == 0  # still young
    async with service.clients.sessions() as session:
        await session.execute(
            update(Result).where(Result.id == result_id).values(created_at=utcnow() - timedelta(hours=1))
        )
        await session.commit()
    assert await release_abandoned_calls(service.clients.sessions, timedelta(minutes=30)) == 1
    (result,) = await caller.results()
    assert result.status == ResultStatus.FAILED and result.cost_micros == 0
    await caller.assert_reconciles()
