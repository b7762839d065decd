"""Reserving, charging and releasing generation costs.

A generation first reserves its worst-case cost (prompt tokens + output cap at the model's prices). The
reservation is a single conditional UPDATE, so concurrent reservations can never promise more than the
balance holds. Afterwards the actual cost (from the upstream's `usage`) is charged, never more than was
reserved, so the balance never goes below zero.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.db.models import MICROS_PER_USD, Account, LedgerEntry, Repository, Result, utcnow
from app.db.upsert import insert_ignore
from app.models_catalog import ModelPrice


def cost_micros(price: ModelPrice, prompt_tokens: int, completion_tokens: int) -> int:
    """What `models.toml` says these tokens cost, rounded up to a whole micro-dollar."""
    usd = (
        Decimal(prompt_tokens) * price.input_per_million + Decimal(completion_tokens) * price.output_per_million
    ) / Decimal(1_000_000)
    return math.ceil(usd * MICROS_PER_USD)


async def available_micros(session: AsyncSession, account_id: int) -> int:
    """Balance not yet promised to generations in flight."""
    stmt = select(col(Account.balance_micros) - col(Account.reserved_micros)).where(col(Account.id) == account_id)
    return int((await session.execute(stmt)).scalar_one_or_none() or 0)


def _month_start() -> datetime:
    now = utcnow()
    return datetime(now.year, now.month, 1, tzinfo=UTC)


async def repo_month_spend_micros(session: AsyncSession, repository_id: int) -> int:
    """Charged this calendar month (UTC) for one repository, plus what its generations have reserved."""
    charged = select(func.coalesce(func.sum(-col(LedgerEntry.amount_micros)), 0)).where(
        col(LedgerEntry.repository_id) == repository_id,
        col(LedgerEntry.kind) == "debit",
        col(LedgerEntry.created_at) >= _month_start(),
    )
    reserved = select(func.coalesce(func.sum(col(Result.reserved_micros)), 0)).where(
        col(Result.repository_id) == repository_id, col(Result.reserved_micros) > 0
    )
    return int((await session.execute(charged)).scalar_one()) + int((await session.execute(reserved)).scalar_one())


async def reserve(session: AsyncSession, result: Result, amount_micros: int) -> str | None:
    """Reserve for a result; returns None on success, else "budget_exhausted" or "repo_cap"."""
    if result.reserved_micros > 0:
        return None  # a re-run of the same job keeps its reservation
    assert result.account_id is not None
    if result.repository_id is not None:
        repo = (
            await session.execute(
                select(Repository).where(col(Repository.id) == result.repository_id).with_for_update()
            )
        ).scalar_one_or_none()
        cap = repo.monthly_cap_micros if repo else None
        if cap is not None and await repo_month_spend_micros(session, result.repository_id) + amount_micros > cap:
            return "repo_cap"
    stmt = (
        update(Account)
        .where(col(Account.id) == result.account_id)
        .where(col(Account.balance_micros) - col(Account.reserved_micros) >= amount_micros)
        .values(reserved_micros=col(Account.reserved_micros) + amount_micros)
    )
    if (await session.execute(stmt)).rowcount != 1:  # type: ignore[attr-defined]
        return "budget_exhausted"
    result.reserved_micros = amount_micros
    session.add(result)
    return None


async def settle(session: AsyncSession, result: Result, actual_micros: int) -> int:
    """Charge the actual cost (capped at the reservation) once, and free the reservation; returns the charge."""
    reserved = result.reserved_micros
    charged = max(0, min(actual_micros, reserved))
    entry = await insert_ignore(
        session,
        LedgerEntry,
        {
            "account_id": result.account_id,
            "kind": "debit",
            "amount_micros": -charged,
            "idempotency_key": f"charge:{result.id}",
            "repository_id": result.repository_id,
            "result_id": result.id,
            "note": f"generation {result.model}",
            "created_at": utcnow(),
        },
        conflict=["idempotency_key"],
    )
    if entry is None:
        return 0  # already charged by an earlier run of this job
    await session.execute(
        update(Account)
        .where(col(Account.id) == result.account_id)
        .values(
            reserved_micros=col(Account.reserved_micros) - reserved,
            balance_micros=col(Account.balance_micros) - charged,
        )
    )
    result.reserved_micros = 0
    result.cost_micros = charged
    session.add(result)
    return charged


async def release(session: AsyncSession, result: Result) -> None:
    """Give a reservation back without charging (the generation failed)."""
    if result.reserved_micros <= 0:
        return
    await session.execute(
        update(Account)
        .where(col(Account.id) == result.account_id)
        .values(reserved_micros=col(Account.reserved_micros) - result.reserved_micros)
    )
    result.reserved_micros = 0
    session.add(result)
