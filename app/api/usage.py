"""GET /api/usage (and .csv): per day and context, clicks, cache hits, generations, tokens, cost; and who visited."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from litestar import get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.api import examples
from app.api.problems import READ_PROBLEMS
from app.auth.viewer import Viewer
from app.guards import AccountNotChosen, AccountNotFound, viewer_account
from app.openapi import INVALID_REQUEST, codes_by_status, documented, problem_responses, response_example
from app.usage.csv_export import usage_csv
from app.usage.report import UsageReport, usage_report

_PROBLEMS = problem_responses(
    INVALID_REQUEST,
    READ_PROBLEMS,
    {400: ["usage.bad_range"], 404: ["usage.unknown_repo"]},
    codes_by_status(AccountNotFound, AccountNotChosen),
)
_ACCOUNT = QueryParameter(description="The account's GitHub login; default: your own.", max_length=100)
_REPO = QueryParameter(description='Only this repository ("owner/name").', max_length=201)
_FROM = QueryParameter(name="from", description="First day (YYYY-MM-DD).")
_TO = QueryParameter(description="Last day (YYYY-MM-DD), included.")


async def _report(
    session: AsyncSession, viewer: Viewer, account: str | None, repo: str | None, from_: date | None, to: date | None
) -> UsageReport:
    chosen = await viewer_account(session, viewer, account)
    assert chosen.id is not None
    return await usage_report(session, chosen.id, repo=repo, from_=from_, to=to)


@get(
    "/usage",
    summary="Usage",
    description="Per day (UTC) and context id; money figures are the ledger's. Default range: the last 30 days.",
    responses=_PROBLEMS,
    operation_class=documented(response_example(200, examples.USAGE)),
)
async def get_usage(
    session: NamedDependency[AsyncSession],
    viewer: NamedDependency[Viewer],
    account: Annotated[str | None, _ACCOUNT] = None,
    repo: Annotated[str | None, _REPO] = None,
    from_: Annotated[date | None, _FROM] = None,
    to: Annotated[date | None, _TO] = None,
) -> UsageReport:
    """The usage of an account the viewer may reach."""
    return await _report(session, viewer, account, repo, from_, to)


@get(
    "/usage.csv",
    summary="Usage (CSV)",
    media_type="text/csv",
    responses=_PROBLEMS,
    operation_class=documented(response_example(200, examples.USAGE_CSV, "text/csv")),
)
async def get_usage_csv(
    session: NamedDependency[AsyncSession],
    viewer: NamedDependency[Viewer],
    account: Annotated[str | None, _ACCOUNT] = None,
    repo: Annotated[str | None, _REPO] = None,
    from_: Annotated[date | None, _FROM] = None,
    to: Annotated[date | None, _TO] = None,
) -> Response[str]:
    """The same days as /api/usage, one row per day and context, as a spreadsheet-safe CSV download."""
    report = await _report(session, viewer, account, repo, from_, to)
    headers = {"Content-Disposition": 'attachment; filename="usage.csv"', "Cache-Control": "private, no-store"}
    return Response(usage_csv(report), media_type="text/csv; charset=utf-8", headers=headers)
