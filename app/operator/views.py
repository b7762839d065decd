"""The operator view's figures as the API and the pages show them: exact dollar strings, GitHub profile links."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from msgspec import Meta, Struct

from app.accounts.summary import USD_PATTERN
from app.billing.money import usd_text
from app.operator.accounts import OwnerRow
from app.operator.service import Overview
from github_app.web import profile_url

Usd = Annotated[str, Meta(pattern=USD_PATTERN, description="US dollars, exact, as a decimal string.")]


class OperatorAccount(Struct):
    """One owner account: money, repositories, last activity."""

    login: str
    type: Annotated[str, Meta(description='"User" or "Organization".')]
    github_url: Annotated[str, Meta(description="The account's profile on GitHub's web host.")]
    balance_usd: Usd
    reserved_usd: Usd
    spent_this_month_usd: Usd
    repos: Annotated[int, Meta(description="Repositories the App can see now.")]
    last_activity_at: Annotated[
        datetime | None,
        Meta(description="The latest ledger entry, answer, webhook, or day with visitor clicks (its start)."),
    ]
    last_activity: Annotated[
        str | None, Meta(description='Which it was: "ledger entry", "answer", "webhook" or "visitor clicks".')
    ]


class OperatorTotals(Struct):
    """The sums over every listed account."""

    accounts: int
    balance_usd: Usd
    reserved_usd: Usd
    spent_this_month_usd: Usd
    repos: int


class OperatorAccounts(Struct):
    """Every owner account, by login, and the totals."""

    accounts: list[OperatorAccount]
    totals: OperatorTotals


def operator_account(row: OwnerRow, github_web: str) -> OperatorAccount:
    """One owner row as shown (`github_web`: GitHub's web host, from GITHUB_API_URL)."""
    activity = row.last_activity
    return OperatorAccount(
        login=row.login,
        type=row.type,
        github_url=profile_url(github_web, row.login),
        balance_usd=usd_text(row.balance_micros),
        reserved_usd=usd_text(row.reserved_micros),
        spent_this_month_usd=usd_text(row.spent_micros),
        repos=row.repos,
        last_activity_at=activity.at if activity else None,
        last_activity=activity.what if activity else None,
    )


def operator_accounts(seen: Overview, github_web: str) -> OperatorAccounts:
    """Every row and the totals, as shown."""
    sums = seen.totals
    return OperatorAccounts(
        accounts=[operator_account(row, github_web) for row in seen.rows],
        totals=OperatorTotals(
            accounts=sums.accounts,
            balance_usd=usd_text(sums.balance_micros),
            reserved_usd=usd_text(sums.reserved_micros),
            spent_this_month_usd=usd_text(sums.spent_micros),
            repos=sums.repos,
        ),
    )
