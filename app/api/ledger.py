"""GET /api/account/ledger (newest first, exact amounts) and its CSV export."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar import get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Response
from msgspec import Meta, Struct
from sqlalchemy.ext.asyncio import AsyncSession

from app.api import examples
from app.api.problems import READ_PROBLEMS
from app.auth.viewer import Viewer
from app.billing.statement import MAX_PAGE, LedgerLine, ledger_csv, ledger_lines
from app.db.models import MAX_ROW_ID, LedgerKind
from app.guards import AccountNotChosen, AccountNotFound, viewer_account
from app.openapi import INVALID_REQUEST, codes_by_status, documented, problem_responses, response_example

_ACCOUNT = QueryParameter(description="The account's GitHub login; default: your own.", max_length=100)
_PROBLEMS = problem_responses(INVALID_REQUEST, READ_PROBLEMS, codes_by_status(AccountNotFound, AccountNotChosen))


class LedgerItem(Struct):
    """One movement of the account's money."""

    id: int
    kind: LedgerKind
    amount_usd: Annotated[
        str, Meta(description="Exact decimal dollars; negative for debits, refunds and adjustments taking money back.")
    ]
    result_id: str | None
    repo: Annotated[str | None, Meta(description='"owner/name" of the repository a debit paid for.')]
    created_at: datetime
    note: Annotated[str | None, Meta(description="What the entry was for; an adjustment's reason.")] = None
    adjusted_by: Annotated[
        str | None, Meta(description="Set on an operator's credit adjustment (kind credit): the operator's login.")
    ] = None


def _item(line: LedgerLine) -> LedgerItem:
    return LedgerItem(
        line.id, line.kind, line.amount_usd, line.result_id, line.repo, line.created_at, line.note, line.adjusted_by
    )


async def _lines(
    session: AsyncSession, viewer: Viewer, account: str | None, limit: int, before: int | None
) -> list[LedgerLine]:
    chosen = await viewer_account(session, viewer, account)
    assert chosen.id is not None
    return await ledger_lines(session, chosen.id, limit=limit, before_id=before)


@get(
    "/account/ledger",
    summary="Account ledger",
    responses=_PROBLEMS,
    operation_class=documented(response_example(200, examples.LEDGER)),
)
async def get_ledger(
    session: NamedDependency[AsyncSession],
    viewer: NamedDependency[Viewer],
    account: Annotated[str | None, _ACCOUNT] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = 100,
    before: Annotated[
        int | None, QueryParameter(description="Continue after this entry id.", ge=1, le=MAX_ROW_ID)
    ] = None,
) -> list[LedgerItem]:
    """Newest first: free credit, top-ups, debits (with their result and repository) and refunds."""
    return [_item(line) for line in await _lines(session, viewer, account, limit, before)]


@get(
    "/account/ledger.csv",
    summary="Account ledger (CSV)",
    media_type="text/csv",
    responses=_PROBLEMS,
    operation_class=documented(response_example(200, examples.LEDGER_CSV, "text/csv")),
)
async def get_ledger_csv(
    session: NamedDependency[AsyncSession],
    viewer: NamedDependency[Viewer],
    account: Annotated[str | None, _ACCOUNT] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = MAX_PAGE,
    before: Annotated[int | None, QueryParameter(ge=1, le=MAX_ROW_ID)] = None,
) -> Response[str]:
    """The same entries as a spreadsheet-safe CSV download."""
    lines = await _lines(session, viewer, account, limit, before)
    headers = {"Content-Disposition": 'attachment; filename="ledger.csv"', "Cache-Control": "private, no-store"}
    return Response(ledger_csv(lines), media_type="text/csv; charset=utf-8", headers=headers)
