"""The dashboard's first page: per account its money, a low-balance warning, 30-day charts and each repository's
month; or, for a new owner, the next step (install the App, push context.json, paste the badge)."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.install import install_url
from app.accounts.repository import accounts_among
from app.accounts.summary import AccountSummary, summarize
from app.auth.viewer import Viewer
from app.billing.budget import month_start
from app.context_files.repository import latest_outline
from app.context_settings.access import active_repositories
from app.db.engine import Sessions
from app.db.models import Account, ContextFileStatus, Repository
from app.github_source import AppGitHub
from app.settings import Settings
from app.usage.report import usage_report
from dashboard.figures import Activity, Totals, activity, report_start, spend_chart, today_utc, traffic_chart
from dashboard.low_balance import LowBalance, low_balance


@dataclass(frozen=True)
class RepoRow:
    """One repository's line: this month's figures, and what its owner should do next, if anything."""

    owner: str
    name: str
    month: Totals
    contexts: int  # valid entries of the default branch's context.json
    # "push" (no context.json read yet), "fix" (context.json has no valid entry), "badge" (no clicks this month)
    next_step: str | None

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass(frozen=True)
class AccountOverview:
    summary: AccountSummary
    warning: LowBalance | None
    month: Totals
    spend_chart: Markup
    traffic_chart: Markup
    repos: list[RepoRow]


@dataclass(frozen=True)
class Overview:
    viewer: Viewer
    accounts: list[AccountOverview]
    install_url: str | None  # shown when there is no account yet


async def overview(viewer: Viewer, sessions: Sessions, settings: Settings, github: AppGitHub) -> Overview:
    """The accounts and, when there are none, where to install the App (asked of GitHub holding no connection)."""
    async with sessions() as session:
        accounts = [
            await account_overview(session, account, settings)
            for account in await accounts_among(session, viewer.account_ids)
        ]
    return Overview(viewer, accounts, None if accounts else await install_url(settings, github))


async def account_overview(session: AsyncSession, account: Account, settings: Settings) -> AccountOverview:
    """One account's section of the overview."""
    assert account.id is not None
    today, first = today_utc(), month_start().date()
    report = await usage_report(session, account.id, from_=report_start(today, first), to=today)
    summed = activity(report, today, first)
    summary = await summarize(session, account)
    repos = [await _repo_row(session, repo, summed) for repo in await active_repositories(session, account.id)]
    available = account.balance_micros - account.reserved_micros
    return AccountOverview(
        summary=summary,
        warning=low_balance(available, summed.week_cost_micros, settings),
        month=summed.month,
        spend_chart=spend_chart(summed, account.login),
        traffic_chart=traffic_chart(summed, account.login),
        repos=repos,
    )


async def _repo_row(session: AsyncSession, repo: Repository, summed: Activity) -> RepoRow:
    outline = await latest_outline(session, repo.id, repo.default_branch) if repo.default_branch else None
    status, entries = (outline[0], outline[1]) if outline is not None else (ContextFileStatus.MISSING, {})
    month = summed.by_repo.get(repo.full_name, Totals())
    if not entries:
        next_step: str | None = "fix" if status == ContextFileStatus.INVALID else "push"
    else:
        next_step = "badge" if not month.clicks else None
    contexts = len(entries)
    return RepoRow(repo.owner, repo.name, month, contexts, next_step)
