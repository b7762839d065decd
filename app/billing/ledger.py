"""Ledger writes. Every balance change is a ledger row plus an atomic update of the cached balance."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.db.models import MICROS_PER_USD, Account, LedgerEntry, LedgerKind, utcnow
from app.db.upsert import insert_ignore


def usd_to_micros(amount: float | Decimal) -> int:
    return int((Decimal(str(amount)) * MICROS_PER_USD).to_integral_value())


async def credit_once(
    session: AsyncSession,
    *,
    account_id: int,
    amount_micros: int,
    idempotency_key: str,
    kind: LedgerKind = LedgerKind.CREDIT,
    note: str | None = None,
) -> bool:
    """Add money exactly once per idempotency key; returns False when that key was already credited."""
    entry_id = await insert_ignore(
        session,
        LedgerEntry,
        {
            "account_id": account_id,
            "kind": kind,
            "amount_micros": amount_micros,
            "idempotency_key": idempotency_key,
            "note": note,
            "created_at": utcnow(),
        },
        conflict=["idempotency_key"],
    )
    if entry_id is None:
        return False
    await session.execute(
        update(Account)
        .where(col(Account.id) == account_id)
        .values(balance_micros=Account.balance_micros + amount_micros)
    )
    return True


async def debits_since_micros(session: AsyncSession, account_id: int, since: datetime) -> int:
    """What generations were charged to the account since `since` (a positive number of micro-dollars)."""
    stmt = select(func.coalesce(func.sum(-col(LedgerEntry.amount_micros)), 0)).where(
        col(LedgerEntry.account_id) == account_id,
        col(LedgerEntry.kind) == LedgerKind.DEBIT,
        col(LedgerEntry.created_at) >= since,
    )
    return int((await session.execute(stmt)).scalar_one())


async def ledger_balance(session: AsyncSession, account_id: int) -> int:
    """The balance recomputed from the ledger (the source of truth for audits)."""
    stmt = select(func.coalesce(func.sum(LedgerEntry.amount_micros), 0)).where(
        col(LedgerEntry.account_id) == account_id
    )
    return int((await session.execute(stmt)).scalar_one())
