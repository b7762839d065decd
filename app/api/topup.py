"""POST /api/account/topup: a Stripe Checkout Session for an amount the owner chooses (the webhook credits)."""

from __future__ import annotations

from typing import Annotated

from litestar import post
from litestar.di import NamedDependency
from litestar.params import Body, QueryParameter
from msgspec import Meta, Struct

from app.api import examples
from app.api.problems import WRITE_PROBLEMS
from app.auth.viewer import Viewer
from app.db.engine import Sessions
from app.guards import AccountNotChosen, AccountNotFound, viewer_account
from app.openapi import (
    INVALID_REQUEST,
    codes_by_status,
    documented,
    problem_responses,
    request_example,
    response_example,
)
from app.settings import Settings
from app.topups.service import CheckoutStarted, InvalidTopupAmount, create_topup
from app.topups.stripe_api import StripeGateway, StripeNotConfigured, StripeUnavailable


class TopupRequest(Struct):
    amount_usd: Annotated[
        str | int | float,
        Meta(description='Dollars to add, e.g. "25" or "12.50" (whole cents, within the service\'s limits).'),
    ]


@post(
    "/account/topup",
    summary="Top up the budget",
    description="Starts a Stripe Checkout Session; the balance changes only when Stripe's signed webhook lands.",
    status_code=201,
    responses=problem_responses(
        INVALID_REQUEST,
        WRITE_PROBLEMS,
        codes_by_status(AccountNotFound, AccountNotChosen, InvalidTopupAmount, StripeNotConfigured, StripeUnavailable),
    ),
    operation_class=documented(request_example(examples.TOPUP_REQUEST), response_example(201, examples.TOPUP)),
)
async def post_topup(
    data: Annotated[TopupRequest, Body()],
    sessions: NamedDependency[Sessions],
    stripe: NamedDependency[StripeGateway],
    settings: NamedDependency[Settings],
    viewer: NamedDependency[Viewer],
    account: Annotated[
        str | None,
        QueryParameter(description="The account's GitHub login; default: your own.", max_length=100),
    ] = None,
) -> CheckoutStarted:
    """Where to send the owner to pay."""
    async with sessions() as session:  # closed before Stripe is called
        chosen = await viewer_account(session, viewer, account)
    assert chosen.id is not None
    amount = data.amount_usd if not isinstance(data.amount_usd, float) else repr(data.amount_usd)
    return await create_topup(sessions, stripe, settings, account_id=chosen.id, amount_usd=amount)
