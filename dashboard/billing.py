"""The billing page: balance, the top-up form and where a top-up stands, and the ledger."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from app.accounts.summary import AccountSummary, summarize
from app.auth.viewer import Viewer
from app.billing.statement import LedgerLine, ledger_lines
from app.db.engine import Sessions
from app.guards import viewer_account
from app.settings import Settings
from app.topups.service import TopupView, topup_state
from app.topups.stripe_api import StripeGateway

LEDGER_ROWS = 50
CANCELLED = "cancelled"  # the `?topup=` Stripe's cancel_url carries


@dataclass(frozen=True)
class BillingPage:
    viewer: Viewer
    account: AccountSummary
    ledger: list[LedgerLine]
    topup: TopupView | None
    cancelled: bool
    min_usd: str
    max_usd: str


async def billing_page(
    viewer: Viewer, sessions: Sessions, stripe: StripeGateway, settings: Settings, login: str | None, topup: str | None
) -> BillingPage:
    """What the page shows; the top-up's state is read holding no database connection while Stripe answers."""
    async with sessions() as session:
        account = await viewer_account(session, viewer, login)
        assert account.id is not None
        summary = await summarize(session, account)
        ledger = await ledger_lines(session, account.id, limit=LEDGER_ROWS)
    state = None
    if topup and topup != CANCELLED:
        state = await topup_state(sessions, stripe, account_id=account.id, checkout_session_id=topup)
        async with sessions() as session:  # the webhook may have landed meanwhile
            summary = await summarize(session, account)
    return BillingPage(
        viewer, summary, ledger, state, topup == CANCELLED, str(settings.topup_min_usd), str(settings.topup_max_usd)
    )


def checkout_origin(settings: Settings) -> str:
    """Where Stripe's payment pages live (the top-up form's redirect goes there, so its CSP must allow it)."""
    base = urlsplit(settings.stripe_api_base)
    if base.hostname == "api.stripe.com":
        return "https://checkout.stripe.com"
    return f"{base.scheme}://{base.netloc}"
