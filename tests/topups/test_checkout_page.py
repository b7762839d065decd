"""The whole loop over real HTTP: the service (served by uvicorn) starts a top-up, the payer pays on the fake's
hosted checkout page, the fake delivers the signed event to /webhooks/stripe and sends the payer back."""

from __future__ import annotations

from decimal import Decimal

import httpx

from app.app import create_app
from app.clients import build_clients
from app.settings import Settings
from app.topups.service import create_topup
from tests.fakes.stripe_fake import FakeStripe
from tests.support.servers import run_asgi_in_thread
from tests.topups.helpers import add_account, money


async def test_paying_on_the_checkout_page_credits_the_balance_before_the_payer_is_back(
    settings: Settings, fake_stripe: FakeStripe
) -> None:
    rt = build_clients(settings)  # this test's own process-side clients; the served app has its own
    try:
        account_id = await add_account(rt.sessions, "octo")
        with run_asgi_in_thread(create_app(settings)) as base:
            fake_stripe.webhook_url = f"{base}/webhooks/stripe"
            started = await create_topup(
                rt.sessions, rt.stripe, settings, account_id=account_id, amount_usd=Decimal(25)
            )
            async with httpx.AsyncClient() as browser:
                page = await browser.get(started.checkout_url)
                assert page.status_code == 200 and "Pay 25.00 USD" in page.text
                back = await browser.post(started.checkout_url)
        assert back.status_code == 303
        assert back.headers["location"] == f"http://contextjson.test/dashboard/billing?topup={started.session_id}"
        [delivery] = fake_stripe.deliveries
        assert delivery.status_code == 200 and delivery.json()["status"] == "applied"
        assert await money(rt.sessions, account_id) == (25_000_000, 25_000_000)
    finally:
        await rt.close()
