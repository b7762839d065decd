"""SQL of the operator view: every owner account with its money, repositories and last activity, in a few
grouped queries (never one query per account)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.billing.budget import month_start
from app.db.models import Account, Installation, LedgerEntry, LedgerKind, Repository, Result, UsageDay, WebhookDelivery


@dataclass(frozen=True)
class Activity:
    """The latest thing that happened to an account, and what it was."""

    at: datetime
    what: str  # "ledger entry", "answer", "visitor clicks" (a day: `at` is its start), "webhook"

    @property
    def precise(self) -> bool:
        return self.what != "visitor clicks"


@dataclass(frozen=True)
class OwnerRow:
    """One owner account as the operator sees it (money in micro-dollars)."""

    account_id: int
    login: str
    type: str
    balance_micros: int
    reserved_micros: int
    spent_micros: int  # charged for answers since the 1st of this month (UTC)
    repos: int  # repositories the App can see now
    last_activity: Activity | None


@dataclass(frozen=True)
class Totals:
    accounts: int
    balance_micros: int
    reserved_micros: int
    spent_micros: int
    repos: int


def totals(rows: Iterable[OwnerRow]) -> Totals:
    """The sums of the listed accounts (exact: integers)."""
    listed = list(rows)
    return Totals(
        accounts=len(listed),
        balance_micros=sum(row.balance_micros for row in listed),
        reserved_micros=sum(row.reserved_micros for row in listed),
        spent_micros=sum(row.spent_micros for row in listed),
        repos=sum(row.repos for row in listed),
    )


async def owner_rows(session: AsyncSession, account_ids: list[int] | None = None) -> list[OwnerRow]:
    """Every account (or those of `account_ids`), by login."""
    stmt = select(Account).order_by(func.lower(col(Account.login)), col(Account.id))
    if account_ids is not None:
        stmt = stmt.where(col(Account.id).in_(account_ids))
    accounts = list((await session.execute(stmt)).scalars())
    spent = await _grouped(
        session,
        select(col(LedgerEntry.account_id), func.sum(-col(LedgerEntry.amount_micros))).where(
            col(LedgerEntry.kind) == LedgerKind.DEBIT, col(LedgerEntry.created_at) >= month_start()
        ),
        col(LedgerEntry.account_id),
        account_ids,
    )
    repos = await _grouped(
        session,
        select(col(Repository.account_id), func.count()).where(col(Repository.active).is_(True)),
        col(Repository.account_id),
        account_ids,
    )
    activity = await _last_activity(session, account_ids)
    rows = []
    for account in accounts:
        key = account.id or 0  # stored rows always have one
        rows.append(
            OwnerRow(
                account_id=key,
                login=account.login,
                type=account.type,
                balance_micros=account.balance_micros,
                reserved_micros=account.reserved_micros,
                spent_micros=int(spent.get(key, 0)),
                repos=int(repos.get(key, 0)),
                last_activity=activity.get(key),
            )
        )
    return rows


async def account_by_login(session: AsyncSession, login: str) -> Account | None:
    """The account with this login, in any case (GitHub's logins are case-insensitive); the newest if two
    accounts ever carried it (a login freed on GitHub and taken by someone else)."""
    stmt = select(Account).where(func.lower(col(Account.login)) == login.lower()).order_by(col(Account.id).desc())
    return (await session.execute(stmt.limit(1))).scalars().first()


async def repositories_of(session: AsyncSession, account_id: int) -> list[Repository]:
    """The account's repositories, those the App still sees first."""
    stmt = (
        select(Repository)
        .where(col(Repository.account_id) == account_id)
        .order_by(col(Repository.active).desc(), col(Repository.owner_lower), col(Repository.name_lower))
    )
    return list((await session.execute(stmt)).scalars())


async def _grouped(session: AsyncSession, stmt: Any, key: Any, account_ids: list[int] | None) -> dict[int, Any]:
    """{account id: value} of a `SELECT account_id, aggregate` grouped by account (`key`), for some accounts."""
    if account_ids is not None:
        stmt = stmt.where(key.in_(account_ids))
    return {account_id: value for account_id, value in (await session.execute(stmt.group_by(key))).all()}


async def _last_activity(session: AsyncSession, account_ids: list[int] | None) -> dict[int, Activity]:
    """Per account, the latest of: a ledger entry, an answer started, a day with visitor clicks, a webhook."""
    sources: list[tuple[str, Any]] = [
        ("ledger entry", select(col(LedgerEntry.account_id), func.max(col(LedgerEntry.created_at)))),
        (
            "answer",
            select(col(Result.account_id), func.max(col(Result.created_at))).where(col(Result.account_id).is_not(None)),
        ),
        ("visitor clicks", select(col(UsageDay.account_id), func.max(col(UsageDay.day)))),
        (
            "webhook",
            select(col(Installation.account_id), func.max(col(WebhookDelivery.received_at)))
            .select_from(WebhookDelivery)
            .join(Installation, col(Installation.id) == col(WebhookDelivery.installation_id)),
        ),
    ]
    latest: dict[int, Activity] = {}
    for what, stmt in sources:
        found = await _grouped(session, stmt, stmt.selected_columns[0], account_ids)
        for account_id, value in found.items():
            if value is None:
                continue
            at = _as_utc(value)
            if account_id not in latest or at > latest[account_id].at:
                latest[account_id] = Activity(at, what)
    return latest


def _as_utc(value: datetime | date | str) -> datetime:
    """A time or day as the database returned it (SQLite: without its zone, or as text), in UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if " " in value or "T" in value else date.fromisoformat(value)
    if not isinstance(value, datetime):
        return datetime.combine(value, time(), UTC)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
