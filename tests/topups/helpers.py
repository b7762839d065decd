"""Accounts, top-ups and signed Stripe deliveries for the top-up tests."""

from __future__ import annotations

import itertools
import json
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import select
from sqlmodel import col

from app.billing.ledger import ledger_balance
from app.db.engine import Sessions
from app.db.models import Account, LedgerEntry, StripeEvent, Topup
from app.topups.service import CheckoutStarted, create_topup
from tests.conftest import Service
from tests.fakes.stripe_fake import FakeStripe
from tests.support.openapi import assert_matches_component

_github_ids = itertools.count(5_000_000)


async def add_account(sessions: Sessions, login: str = "octo", *, balance_micros: int = 0) -> int:
    async with sessions() as session:
        account = Account(github_id=next(_github_ids), login=login, balance_micros=balance_micros)
        session.add(account)
        await session.commit()
        assert account.id is not None
        return account.id


async def start_topup(service: Service, account_id: int, amount_usd: str = "12.50") -> CheckoutStarted:
    rt = service.clients
    return await create_topup(
        rt.sessions, rt.stripe, rt.settings, account_id=account_id, amount_usd=Decimal(amount_usd)
    )


async def paid_at_stripe(
    service: Service, fake: FakeStripe, amount_usd: str = "12.50", *, delayed: bool = False
) -> tuple[int, str, dict[str, Any]]:
    """A new account whose top-up was paid at Stripe: (account id, Checkout Session id, its completed event)."""
    account_id = await add_account(service.clients.sessions)
    started = await start_topup(service, account_id, amount_usd)
    return account_id, started.session_id, fake.complete(started.session_id, delayed=delayed)


async def send(
    service: Service,
    fake: FakeStripe,
    event: dict[str, Any],
    *,
    timestamp: int | None = None,
    body: bytes | None = None,
    signature: str | None = None,
) -> httpx.Response:
    """POST an event as Stripe does: signed by the SDK's signer unless a body or signature is given."""
    signed_body, signed_header = fake.signed(event, timestamp=timestamp)
    headers = {"Content-Type": "application/json; charset=utf-8", "Stripe-Signature": signature or signed_header}
    return await service.client.post("/webhooks/stripe", content=body or signed_body, headers=headers)


def status_of(resp: httpx.Response) -> str:
    """The status of a 200 receipt, whose shape /schema documents."""
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    assert_matches_component(body, "StripeReceipt")
    return str(body["status"])


async def money(sessions: Sessions, account_id: int) -> tuple[int, int]:
    """(cached balance, balance recomputed from the ledger): the two must always agree."""
    async with sessions() as session:
        balance = (
            await session.execute(select(col(Account.balance_micros)).where(col(Account.id) == account_id))
        ).scalar_one()
        return int(balance), await ledger_balance(session, account_id)


async def ledger(sessions: Sessions, account_id: int) -> list[tuple[str, int, str | None]]:
    """(kind, amount_micros, idempotency_key) of the account's entries, oldest first."""
    async with sessions() as session:
        stmt = select(LedgerEntry).where(col(LedgerEntry.account_id) == account_id).order_by(col(LedgerEntry.id))
        return [(str(e.kind), e.amount_micros, e.idempotency_key) for e in (await session.execute(stmt)).scalars()]


async def topup(sessions: Sessions, checkout_session_id: str) -> Topup | None:
    async with sessions() as session:
        stmt = select(Topup).where(col(Topup.checkout_session_id) == checkout_session_id)
        return (await session.execute(stmt)).scalar_one_or_none()


async def stored_events(sessions: Sessions) -> dict[str, tuple[str, str | None]]:
    """event id -> (status, note) of every stored Stripe event."""
    async with sessions() as session:
        rows = (await session.execute(select(StripeEvent).order_by(col(StripeEvent.id)))).scalars()
        return {row.event_id: (str(row.status), row.note) for row in rows}


def tampered(body: bytes, **changes: Any) -> bytes:
    """The same event with data.object fields changed (what a forger would send)."""
    event = json.loads(body)
    event["data"]["object"].update(changes)
    return json.dumps(event, indent=2).encode()
