"""A repository's page: each context with its state, link, README badge and month; recent answers, referrers, and
the monthly cap and pause settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.summary import AccountSummary, summarize
from app.auth.viewer import Viewer
from app.billing.budget import month_start
from app.context_api.snippets import ApiSnippets, context_snippets
from app.context_files.snippets import Snippet, context_snippet
from app.context_files.validation import is_context_id
from app.context_settings.access import viewer_repository
from app.context_settings.contexts import ContextState, ContextStatus
from app.context_settings.views import RepoSettings, repo_settings
from app.db.models import Account, Repository
from app.settings import Settings
from app.usage.recent import RecentResult, recent_results
from app.usage.report import NamedClicks, usage_report
from dashboard.figures import Totals, activity, report_start, today_utc, traffic_chart
from dashboard.pages import dollars

RECENT = 10
# The notices a form's 303 may ask for (`?saved=`): fixed words, so nothing from the address is echoed as is.
NOTICES = {
    "cap": "The monthly cap is saved: the next new answer is checked against it.",
    "paused": "Paused “{context}”: visitors get its last answer, and nothing new is paid for.",
    "resumed": "Resumed “{context}”: its next click makes a new answer when one is needed.",
}


@dataclass(frozen=True)
class ContextRow:
    state: ContextState
    month: Totals
    snippet: Snippet | None  # the README badge (valid contexts)
    api: ApiSnippets | None = None  # "Use as API" (valid contexts)


@dataclass(frozen=True)
class RepoPage:
    viewer: Viewer
    account: AccountSummary
    settings: RepoSettings
    owner: str
    name: str
    contexts: list[ContextRow]
    month: Totals
    report_from: date
    traffic_chart: Markup
    recent: list[RecentResult]
    referrers: list[NamedClicks]
    notice: str | None = None
    error: str | None = None  # a form's input that was refused, and why
    cap_input: str | None = None  # what the cap field shows (the refused input, or the cap)

    @property
    def cap_value(self) -> str:
        if self.cap_input is not None:
            return self.cap_input
        cap = self.settings.monthly_cap_usd
        return dollars(cap).removeprefix("$") if cap is not None else ""  # "12.50", not "12.500000"


def notice_text(saved: str | None, context: str | None) -> str | None:
    """The words of a `?saved=` notice (an unknown one, or a context id that is not one, shows nothing)."""
    template = NOTICES.get(saved or "")
    if template is None or ("{context}" in template and not (context and is_context_id(context))):
        return None
    return template.format(context=context)


async def repo_page(
    session: AsyncSession,
    viewer: Viewer,
    settings: Settings,
    owner: str,
    name: str,
    *,
    model: str,  # the model the "Use as API" examples name
    notice: str | None = None,
    error: str | None = None,
    cap_input: str | None = None,
) -> RepoPage:
    """What the repository's page shows (404 unless the viewer reaches its account)."""
    repo = await viewer_repository(session, viewer, owner, name)
    account = await session.get(Account, repo.account_id)
    assert account is not None and account.id is not None
    today, first = today_utc(), month_start().date()
    start = report_start(today, first)
    report = await usage_report(session, account.id, repo=repo.full_name, from_=start, to=today)
    summed = activity(report, today, first)
    current = await repo_settings(session, repo, account.login, public_base=settings.public_base, since=first)
    rows = [
        ContextRow(
            state,
            summed.by_context.get(state.context_id, Totals()),
            _snippet(settings, repo, state),
            _api(settings, repo, state, model),
        )
        for state in current.contexts
    ]
    return RepoPage(
        viewer=viewer,
        account=await summarize(session, account),
        settings=current,
        owner=repo.owner,
        name=repo.name,
        contexts=rows,
        month=summed.month,
        report_from=start,
        traffic_chart=traffic_chart(summed, repo.full_name),
        recent=await recent_results(session, repo.id, RECENT),
        referrers=report.repos[0].referrers if report.repos else [],
        notice=notice,
        error=error,
        cap_input=cap_input,
    )


def _snippet(settings: Settings, repo: Repository, state: ContextState) -> Snippet | None:
    """The badge for the default branch (`…/context/{id}`), so the README keeps working when it changes."""
    if state.status != ContextStatus.VALID:
        return None
    summary = state.summary or state.context_id
    return context_snippet(settings.public_base, repo.owner, repo.name, None, state.context_id, summary)


def _api(settings: Settings, repo: Repository, state: ContextState, model: str) -> ApiSnippets | None:
    """The context's base URL on the default branch, like its badge."""
    if state.status != ContextStatus.VALID:
        return None
    return context_snippets(settings.public_base, repo.owner, repo.name, None, state.context_id, model)
