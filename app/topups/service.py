"""Starting a top-up (a Stripe Checkout Session for an amount the owner chose) and reading where one stands.

Only the signed webhook (app.topups.webhook) credits the ledger; nothing here changes a balance. Both
functions call Stripe, so they take the session factory and open short sessions of their own, never
holding a database connection across the call: call them with no session of your own in use.
"""

from __future__ import annotations

import logging
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from msgspec import Meta, Struct
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.engine import Sessions
from app.db.models import TopupStatus
from app.db.retry import in_transaction
from app.errors import AppError, NotFound
from app.settings import Settings
from app.topups import repository
from app.topups.money import CENTS_PER_USD, MICROS_PER_CENT, usd_text
from app.topups.stripe_api import StripeGateway, StripeUnavailable

log = logging.getLogger("contextjson.topups")

CENT = Decimal("0.01")
PRODUCT_NAME = "contextjson credit"


class InvalidTopupAmount(AppError):
    status_code = 400
    code = "topups.invalid_amount"
    title = "This top-up amount is not accepted"


class CheckoutStarted(Struct):
    """A Checkout Session to send the owner to (`POST /api/account/topup` answers this, 201)."""

    session_id: Annotated[str, Meta(description="Stripe's Checkout Session id (cs_…).")]
    checkout_url: Annotated[str, Meta(description="Stripe's payment page for this top-up.")]


class TopupView(Struct):
    """Where one top-up stands, for the page Stripe sends the owner back to."""

    session_id: str
    status: Annotated[
        str,
        Meta(description="open, confirming (paid at Stripe, not credited yet), processing, credited, failed, expired"),
    ]
    amount_usd: str
    balance_usd: str


def topup_cents(amount_usd: Decimal | int | str, settings: Settings) -> int:
    """The amount in USD cents; InvalidTopupAmount (400) unless whole cents within TOPUP_MIN_USD..TOPUP_MAX_USD."""
    low, high = settings.topup_min_usd, settings.topup_max_usd
    try:
        amount = Decimal(amount_usd) if not isinstance(amount_usd, bool) else Decimal("NaN")
    except (InvalidOperation, ValueError, TypeError):
        amount = Decimal("NaN")
    if not amount.is_finite():
        raise InvalidTopupAmount(f"amount_usd must be a number of US dollars, e.g. {low}")
    if amount != amount.quantize(CENT):
        raise InvalidTopupAmount(f"amount_usd must be in whole cents (at most two decimal places), not {amount}")
    if not low <= amount <= high:
        raise InvalidTopupAmount(f"amount_usd must be between {low} and {high} USD; {amount} is not")
    return int(amount * CENTS_PER_USD)


def checkout_params(settings: Settings, *, account_id: int, login: str, cents: int) -> dict[str, Any]:
    """The Checkout Session request: one line item of `cents` USD, tied to the account by id and login."""
    base = settings.public_base
    metadata = {"account_id": str(account_id), "account_login": login}
    return {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": "usd",
                    "unit_amount": cents,
                    "product_data": {"name": PRODUCT_NAME, "description": f"Balance top-up for {login}"},
                },
            }
        ],
        "client_reference_id": login,
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata},  # so the payment and its refunds name the account too
        # Stripe replaces {CHECKOUT_SESSION_ID} with the session's id.
        "success_url": f"{base}/dashboard/billing?topup={{CHECKOUT_SESSION_ID}}",
        "cancel_url": f"{base}/dashboard/billing?topup=cancelled",
    }


async def create_topup(
    sessions: Sessions, stripe: StripeGateway, settings: Settings, *, account_id: int, amount_usd: Decimal | int | str
) -> CheckoutStarted:
    """Create a Checkout Session for `amount_usd` and remember it for the account; the ledger is not touched."""
    cents = topup_cents(amount_usd, settings)
    async with sessions() as session:
        login = await repository.account_login(session, account_id)
    if login is None:
        raise NotFound("This account is not known to the service.", code="topups.unknown_account")
    created = await stripe.create_checkout_session(
        checkout_params(settings, account_id=account_id, login=login, cents=cents)
    )
    if not created.url:
        raise StripeUnavailable("Stripe created the Checkout Session without a payment page. Nothing was charged.")

    async def remember(session: AsyncSession) -> None:
        micros = cents * MICROS_PER_CENT
        await repository.insert_topup(
            session, checkout_session_id=created.id, account_id=account_id, amount_micros=micros
        )

    await in_transaction(sessions, remember, name="topups.create")
    log.info(
        "billing.topup.started account=%s session=%s amount_usd=%s",
        account_id,
        created.id,
        usd_text(cents * MICROS_PER_CENT),
    )
    return CheckoutStarted(session_id=created.id, checkout_url=created.url)


async def topup_state(
    sessions: Sessions, stripe: StripeGateway, *, account_id: int, checkout_session_id: str
) -> TopupView:
    """One of the account's top-ups and its balance; 404 for a session of another account or none at all."""
    async with sessions() as session:
        topup = await repository.get_topup(session, checkout_session_id)
        balance = await repository.account_balance_micros(session, account_id)
    if topup is None or topup.account_id != account_id:
        raise NotFound("No top-up of this account has that id.", code="topups.not_found")
    status = str(topup.status)
    if topup.status == TopupStatus.OPEN and stripe.configured:
        status = await _open_status(stripe, checkout_session_id)
    return TopupView(checkout_session_id, status, usd_text(topup.amount_micros), usd_text(balance))


async def _open_status(stripe: StripeGateway, checkout_session_id: str) -> str:
    """An open top-up as Stripe sees it: paid before its webhook landed says "confirming", not "open"."""
    at_stripe = await stripe.retrieve_checkout_session(checkout_session_id)
    if at_stripe.payment_status == "paid":
        return "confirming"
    return "expired" if at_stripe.status == "expired" else str(TopupStatus.OPEN)
