"""What the operator view does: list every owner account, show one, adjust its credit.

This is the operator's only power: reading every account here, and adjusting credit with a reason. The
owner pages and the owner API stay limited to the accounts a viewer reaches (app.guards.viewer_account),
operators included.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.billing.adjustments import Adjustment, AdjustmentRequest, adjust
from app.billing.statement import LedgerLine, ledger_lines
from app.db.engine import Sessions
from app.db.models import Account, Repository
from app.db.retry import in_transaction
from app.errors import AppError
from app.operator.accounts import OwnerRow, Totals, account_by_login, owner_rows, repositories_of, totals

LEDGER_ROWS = 50


class UnknownAccount(AppError):
    status_code = 404
    code = "operator.unknown_account"
    title = "No such account"


@dataclass(frozen=True)
class Overview:
    rows: list[OwnerRow]
    totals: Totals


@dataclass(frozen=True)
class AccountDetail:
    row: OwnerRow
    repositories: list[Repository]
    ledger: list[LedgerLine]


async def overview(sessions: Sessions) -> Overview:
    """Every owner account with its figures, and their totals."""
    async with sessions() as session:
        rows = await owner_rows(session)
    return Overview(rows, totals(rows))


async def account_detail(sessions: Sessions, login: str) -> AccountDetail:
    """One account's figures, repositories and latest ledger entries; UnknownAccount (404) if there is none."""
    async with sessions() as session:
        account = await _account(session, login)
        assert account.id is not None
        [row] = await owner_rows(session, [account.id])
        repositories = await repositories_of(session, account.id)
        ledger = await ledger_lines(session, account.id, limit=LEDGER_ROWS)
    return AccountDetail(row, repositories, ledger)


async def make_adjustment(sessions: Sessions, login: str, request: AdjustmentRequest) -> tuple[Account, Adjustment]:
    """Adjust the credit of the account `login` names, in one transaction (re-run if it loses a deadlock)."""

    async def work(session: AsyncSession) -> tuple[Account, Adjustment]:
        account = await _account(session, login)
        assert account.id is not None
        return account, await adjust(session, account.id, request)

    return await in_transaction(sessions, work, name="operator.adjust")


async def _account(session: AsyncSession, login: str) -> Account:
    account = await account_by_login(session, login)
    if account is None:
        raise UnknownAccount(
            f"No owner account has the login {login!r}.", links=[("All accounts", "/dashboard/operator")]
        )
    return account
