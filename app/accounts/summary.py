"""An account's money at a glance: balance, reserved by generations in flight, spent this month."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta, Struct
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.repository import accounts_among
from app.auth.viewer import Viewer
from app.billing.budget import month_start
from app.billing.ledger import debits_since_micros
from app.billing.money import usd_text
from app.db.models import Account

USD_PATTERN = r"^-?\d+\.\d{6}$"


def _usd(description: str) -> Meta:
    return Meta(pattern=USD_PATTERN, description=f"{description}: US dollars, exact, as a decimal string.")


class AccountSummary(Struct):
    """An account's money: what it holds, what generations in flight have reserved, what it spent this month."""

    login: Annotated[str, Meta(description="The GitHub login of the user or organisation.")]
    balance_usd: Annotated[str, _usd("What the account holds, reservations included")]
    reserved_usd: Annotated[str, _usd("Set aside for generations in flight")]
    spent_this_month_usd: Annotated[str, _usd("Charged for generations since the 1st of this month (UTC)")]


async def summarize(session: AsyncSession, account: Account) -> AccountSummary:
    """The summary of one account (exact amounts, from integer micro-dollars)."""
    assert account.id is not None
    spent = await debits_since_micros(session, account.id, month_start())
    return AccountSummary(
        login=account.login,
        balance_usd=usd_text(account.balance_micros),
        reserved_usd=usd_text(account.reserved_micros),
        spent_this_month_usd=usd_text(spent),
    )


async def reachable_summaries(session: AsyncSession, viewer: Viewer) -> list[AccountSummary]:
    """A summary of every account the viewer may reach, by login."""
    return [await summarize(session, account) for account in await accounts_among(session, viewer.account_ids)]
