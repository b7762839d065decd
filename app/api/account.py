"""GET /api/account: the balance of an account the viewer may reach."""

from __future__ import annotations

from typing import Annotated

from litestar import get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.summary import AccountSummary, summarize
from app.api import examples
from app.api.problems import READ_PROBLEMS
from app.auth.viewer import Viewer
from app.guards import AccountNotChosen, AccountNotFound, viewer_account
from app.openapi import INVALID_REQUEST, codes_by_status, documented, problem_responses, response_example


async def account_summary(session: AsyncSession, viewer: Viewer, login: str | None) -> AccountSummary:
    """The summary of the account `login` names (default: the viewer's own), if the viewer may reach it."""
    return await summarize(session, await viewer_account(session, viewer, login))


@get(
    "/account",
    summary="Account balance",
    description="The balance of the signed-in owner's account, or of another account they may reach (`?account=`).",
    responses=problem_responses(INVALID_REQUEST, READ_PROBLEMS, codes_by_status(AccountNotFound, AccountNotChosen)),
    operation_class=documented(response_example(200, examples.ACCOUNT)),
)
async def get_account(
    session: NamedDependency[AsyncSession],
    viewer: NamedDependency[Viewer],
    account: Annotated[
        str | None,
        QueryParameter(description="The account's GitHub login; default: your own.", max_length=100),
    ] = None,
) -> AccountSummary:
    """The account's balance, reservations and this month's spend."""
    return await account_summary(session, viewer, account)
