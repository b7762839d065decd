"""GET /api/operator/accounts and POST /api/operator/accounts/{login}/adjustments: the operator view as JSON."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import Body, Parameter
from msgspec import Meta, Struct

from app.api import examples
from app.api.problems import READ_PROBLEMS, WRITE_PROBLEMS
from app.auth.viewer import Viewer
from app.billing.adjustments import (
    MAX_REASON_CHARS,
    AdjustmentExceedsBalance,
    AdjustmentKeyReused,
    InvalidAdjustment,
    adjustment_request,
)
from app.billing.money import usd_text
from app.db.engine import Sessions
from app.openapi import (
    INVALID_REQUEST,
    codes_by_status,
    documented,
    problem_responses,
    request_example,
    response_example,
)
from app.operator.service import UnknownAccount, make_adjustment, overview
from app.operator.views import OperatorAccounts, Usd, operator_accounts
from app.settings import Settings

_LOGIN = Parameter(description="The account's GitHub login (any case).", max_length=100)


class AdjustmentBody(Struct):
    amount_usd: Annotated[
        str | int,
        Meta(description='Dollars to add, or to take back when negative: "10", "-2.50" (at most six decimals).'),
    ]
    reason: Annotated[
        str, Meta(description=f"Why, at most {MAX_REASON_CHARS} characters; the owner sees it in their ledger.")
    ]
    idempotency_key: Annotated[
        str | None,
        Meta(description="The same key sent again (a retry) makes the adjustment once; default: a new key."),
    ] = None


class AdjustmentMade(Struct):
    """The ledger entry written (kind `credit`) and the account's balance after it."""

    id: Annotated[int, Meta(description="The ledger entry's id.")]
    login: str
    amount_usd: Usd
    reason: str
    adjusted_by: Annotated[str, Meta(description="The operator's GitHub login.")]
    created_at: datetime
    balance_usd: Usd
    replayed: Annotated[bool, Meta(description="True: this key was used before; nothing changed this time.")]


@get(
    "/accounts",
    summary="Every owner account (operators)",
    description="For OPERATOR_LOGINS only; anyone else signed in gets 404.",
    responses=problem_responses(READ_PROBLEMS),
    operation_class=documented(response_example(200, examples.OPERATOR_ACCOUNTS)),
)
async def get_operator_accounts(
    sessions: NamedDependency[Sessions], settings: NamedDependency[Settings]
) -> OperatorAccounts:
    """Each account's balance, reservations, month's spend, repositories and last activity, with totals."""
    return operator_accounts(await overview(sessions), settings.github_web_base)


@post(
    "/accounts/{login:str}/adjustments",
    summary="Adjust an account's credit (operators)",
    description="Writes one `credit` ledger entry with the reason and the operator's login. A negative amount "
    "takes money back, never below what answers in progress have reserved.",
    status_code=201,
    responses=problem_responses(
        INVALID_REQUEST,
        WRITE_PROBLEMS,
        codes_by_status(UnknownAccount, InvalidAdjustment, AdjustmentExceedsBalance, AdjustmentKeyReused),
    ),
    operation_class=documented(
        request_example(examples.ADJUSTMENT_REQUEST), response_example(201, examples.ADJUSTMENT)
    ),
)
async def post_adjustment(
    login: Annotated[str, _LOGIN],
    data: Annotated[AdjustmentBody, Body()],
    sessions: NamedDependency[Sessions],
    viewer: NamedDependency[Viewer],
) -> AdjustmentMade:
    """One adjustment, made once per idempotency key."""
    request = adjustment_request(data.amount_usd, data.reason, by=viewer.login, key=data.idempotency_key)
    account, made = await make_adjustment(sessions, login, request)
    return AdjustmentMade(
        id=made.entry_id,
        login=account.login,
        amount_usd=usd_text(made.amount_micros),
        reason=made.reason,
        adjusted_by=made.by,
        created_at=made.created_at,
        balance_usd=usd_text(made.balance_micros),
        replayed=made.replayed,
    )
