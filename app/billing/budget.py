"""Reserving, charging and releasing generation costs.

A generation first reserves its worst-case cost (prompt tokens + output cap at the model's prices). The
reservation is a single conditional UPDATE, so concurrent reservations can never promise more than the
balance holds. Afterwards the actual cost (from the upstream's `usage`) is charged, never more than was
reserved, so the balance never goes below zero.

Lock order. A transaction that moves money takes the row locks it needs in this order, and no others:

    1. the account     `lock_for_money`, SELECT … FOR NO KEY UPDATE
    2. the repository  only to check its monthly cap (`reserve`), SELECT … FOR NO KEY UPDATE
    3. the result      SELECT … FOR NO KEY UPDATE
    then its writes: the ledger row, the account's balance and reservation, the result.

Code that also touches repositories and results (e.g. hiding a repository's results) must keep
repository before result, and take the account first if it takes it at all.

FOR NO KEY UPDATE, never FOR UPDATE, on accounts and repositories: inserting or updating a row that
references them (a result, a ledger entry, a branch head) takes FOR KEY SHARE on the referenced row for the
foreign key check, which FOR UPDATE blocks and FOR NO KEY UPDATE does not. A FOR UPDATE on the repository
made every reservation wait for each link resolution in flight (the resolver inserts a result, and may
delete it again, before it commits), and deadlocked with a settlement: the settlement held the account (its
balance update) and its second UPDATE of the result re-checked the result's foreign keys (PostgreSQL does
that for a row already written by the same transaction), waiting for the repository that the reservation
held while it waited for the account.

Each of these units of work runs in `app.db.retry.in_transaction`, which re-runs one that still loses a
deadlock or a serialization conflict (or meets SQLite's "database is locked").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.db.models import MICROS_PER_USD, Account, LedgerEntry, LedgerKind, Repository, Result, utcnow
from app.db.upsert import insert_ignore
from app.models_catalog import ModelPrice

Row = TypeVar("Row", Account, Repository, Result)


class Refusal(StrEnum):
    """Why a reservation was refused (the value is the result's stable error code)."""

    BUDGET_EXHAUSTED = "budget_exhausted"
    REPO_CAP = "repo_cap"

    @property
    def message(self) -> str:
        """What a visitor is told."""
        if self is Refusal.REPO_CAP:
            return "This repository has reached the monthly spending cap its owner set."
        return "The owner's budget for new answers is used up."


@dataclass
class Locked:
    """The rows of one result's money movement, locked in the documented order."""

    result: Result
    account: Account | None
    repository: Repository | None


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


def month_start() -> datetime:
    """The start of this calendar month (UTC), when monthly caps and figures restart."""
    now = utcnow()
    return datetime(now.year, now.month, 1, tzinfo=UTC)


async def repo_month_spend_micros(session: AsyncSession, repository_id: int) -> int:
    """Charged this calendar month (UTC) for one repository, plus what its generations have reserved."""
    charged = select(func.coalesce(func.sum(-col(LedgerEntry.amount_micros)), 0)).where(
        col(LedgerEntry.repository_id) == repository_id,
        col(LedgerEntry.kind) == LedgerKind.DEBIT,
        col(LedgerEntry.created_at) >= month_start(),
    )
    reserved = select(func.coalesce(func.sum(col(Result.reserved_micros)), 0)).where(
        col(Result.repository_id) == repository_id, col(Result.reserved_micros) > 0
    )
    return int((await session.execute(charged)).scalar_one()) + int((await session.execute(reserved)).scalar_one())


async def _lock(session: AsyncSession, model: type[Row], key: Any) -> Row | None:
    """One row, re-read and locked against other writers (but not against foreign key checks)."""
    stmt = (
        select(model)
        .where(model.id == key)  # type: ignore[arg-type]
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def lock_account(session: AsyncSession, account_id: int) -> Account | None:
    """The account alone, locked (step 1 of the lock order), for money moved before any result exists."""
    return await _lock(session, Account, account_id)


async def lock_account_row(session: AsyncSession, account_id: int) -> None:
    """As `lock_account`, without loading the row (a hot path that only needs the lock)."""
    stmt = select(col(Account.id)).where(col(Account.id) == account_id).with_for_update(key_share=True)
    await session.execute(stmt)


async def reserve_on_account(session: AsyncSession, account_id: int, amount_micros: int) -> bool:
    """Promise `amount_micros` of the account's available balance; False (nothing changed) when it lacks it."""
    stmt = (
        update(Account)
        .where(col(Account.id) == account_id)
        .where(col(Account.balance_micros) - col(Account.reserved_micros) >= amount_micros)
        .values(reserved_micros=col(Account.reserved_micros) + amount_micros)
    )
    return bool((await session.execute(stmt)).rowcount == 1)  # type: ignore[attr-defined]


async def lock_for_money(session: AsyncSession, result_id: str, *, repository: bool = False) -> Locked | None:
    """Lock the account, (the repository,) then the result, in that order; None when the result is gone."""
    owners = select(col(Result.account_id), col(Result.repository_id)).where(col(Result.id) == result_id)
    row = (await session.execute(owners)).one_or_none()  # never change, so reading them unlocked is safe
    if row is None:
        return None
    account_id, repository_id = row
    account = await _lock(session, Account, account_id) if account_id is not None else None
    repo = await _lock(session, Repository, repository_id) if repository and repository_id is not None else None
    result = await _lock(session, Result, result_id)
    return Locked(result, account, repo) if result is not None else None


async def _over_repo_cap(session: AsyncSession, repo: Repository | None, amount_micros: int) -> bool:
    if repo is None or repo.monthly_cap_micros is None:
        return False
    return await repo_month_spend_micros(session, repo.id) + amount_micros > repo.monthly_cap_micros


async def reserve(session: AsyncSession, locked: Locked, amount_micros: int) -> Refusal | None:
    """Reserve for a result locked with its repository; returns None on success, else why it was refused."""
    result = locked.result
    if result.reserved_micros > 0:
        return None  # a re-run of the same job keeps its reservation
    assert result.account_id is not None
    if await _over_repo_cap(session, locked.repository, amount_micros):
        return Refusal.REPO_CAP
    if not await reserve_on_account(session, result.account_id, amount_micros):
        return Refusal.BUDGET_EXHAUSTED
    result.reserved_micros = amount_micros
    session.add(result)
    return None


@dataclass(frozen=True)
class Held:
    """The money fields of a locked result, for code that reads them with Core statements (no entity)."""

    result_id: str
    account_id: int | None
    repository_id: int | None
    model: str
    reserved_micros: int


async def charge(session: AsyncSession, held: Held, actual_micros: int) -> int | None:
    """The ledger debit and the account's balance and reservation (the result row is the caller's to update);
    returns the charge (the actual cost capped at the reservation), or None when it was charged before."""
    charged = max(0, min(actual_micros, held.reserved_micros))
    entry = await insert_ignore(
        session,
        LedgerEntry,
        {
            "account_id": held.account_id,
            "kind": LedgerKind.DEBIT,
            "amount_micros": -charged,
            "idempotency_key": f"charge:{held.result_id}",
            "repository_id": held.repository_id,
            "result_id": held.result_id,
            "note": f"generation {held.model}",
            "created_at": utcnow(),
        },
        conflict=["idempotency_key"],
    )
    if entry is None:
        return None  # already charged by an earlier run of this job
    await session.execute(
        update(Account)
        .where(col(Account.id) == held.account_id)
        .values(
            reserved_micros=col(Account.reserved_micros) - held.reserved_micros,
            balance_micros=col(Account.balance_micros) - charged,
        )
    )
    return charged


async def settle(session: AsyncSession, result: Result, actual_micros: int) -> int:
    """Charge the actual cost (capped at the reservation) once, and free the reservation; returns the charge."""
    assert result.id is not None
    held = Held(result.id, result.account_id, result.repository_id, result.model, result.reserved_micros)
    charged = await charge(session, held, actual_micros)
    if charged is None:
        return 0
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
