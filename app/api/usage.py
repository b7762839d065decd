"""GET /api/usage: per day and context, clicks, cache hits, generations, tokens and cost; and who visited."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from litestar import get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from app.api.problems import READ_PROBLEMS
from app.auth.viewer import Viewer
from app.guards import AccountNotChosen, AccountNotFound, viewer_account
from app.openapi import INVALID_REQUEST, codes_by_status, problem_responses
from app.usage.report import UsageReport, usage_report


@get(
    "/usage",
    summary="Usage",
    description="Per day (UTC) and context id; money figures are the ledger's. Default range: the last 30 days.",
    responses=problem_responses(
        INVALID_REQUEST, READ_PROBLEMS, {400: ["usage.bad_range"]}, codes_by_status(AccountNotFound, AccountNotChosen)
    ),
)
async def get_usage(
    session: NamedDependency[AsyncSession],
    viewer: NamedDependency[Viewer],
    account: Annotated[
        str | None, QueryParameter(description="The account's GitHub login; default: your own.", max_length=100)
    ] = None,
    repo: Annotated[
        str | None, QueryParameter(description='Only this repository ("owner/name").', max_length=201)
    ] = None,
    from_: Annotated[date | None, QueryParameter(name="from", description="First day (YYYY-MM-DD).")] = None,
    to: Annotated[date | None, QueryParameter(description="Last day (YYYY-MM-DD), included.")] = None,
) -> UsageReport:
    """The usage of an account the viewer may reach."""
    chosen = await viewer_account(session, viewer, account)
    assert chosen.id is not None
    return await usage_report(session, chosen.id, repo=repo, from_=from_, to=to)
