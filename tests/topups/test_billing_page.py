"""The billing page: an owner tops up through Stripe and sees the new balance as soon as the webhook lands."""

from __future__ import annotations

import re
from typing import Any

from tests.auth.helpers import install, log_in
from tests.conftest import Service
from tests.fakes.stripe_fake import FakeStripe
from tests.topups.helpers import send


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]


def _balance(page: str) -> str:
    return re.search(r'id="balance" data-usd="([^"]+)"', page).group(1)  # type: ignore[union-attr]


async def test_a_top_up_from_the_billing_page_changes_the_balance(
    service: Service, fake_github: Any, fake_stripe: FakeStripe
) -> None:
    await install(service, fake_github, 7001, "octo")
    await log_in(service, fake_github, "octo")
    page = await service.client.get("/dashboard/billing")
    assert page.status_code == 200 and _balance(page.text) == "5.000000"  # the free credit
    assert 'data-kind="credit"' in page.text and "Free credit" in page.text
    assert f"form-action 'self' {fake_stripe.url}" in page.headers["content-security-policy"]

    refused = await service.client.post("/dashboard/billing/topup", data={"amount_usd": "20"})
    assert refused.status_code == 403 and fake_stripe.created_sessions() == []  # no CSRF token
    resp = await service.client.post(
        "/dashboard/billing/topup", data={"amount_usd": "20", "csrf_token": _csrf(page.text)}
    )
    assert resp.status_code == 303 and resp.headers["location"].startswith(fake_stripe.url)
    [created] = fake_stripe.created_sessions()
    session_id = resp.headers["location"].rstrip("/").rsplit("/", 1)[-1]
    assert created["client_reference_id"] == "octo"

    waiting = await service.client.get(f"/dashboard/billing?topup={session_id}")
    assert 'data-status="open"' in waiting.text and _balance(waiting.text) == "5.000000"
    assert (await send(service, fake_stripe, fake_stripe.complete(session_id))).status_code == 200
    back = await service.client.get(f"/dashboard/billing?topup={session_id}")
    assert 'data-status="credited"' in back.text and _balance(back.text) == "25.000000"
    assert 'data-kind="topup"' in back.text

    cancelled = await service.client.get("/dashboard/billing?topup=cancelled")
    assert "nothing was charged" in cancelled.text


async def test_the_billing_page_is_only_for_the_accounts_owner(service: Service, fake_github: Any) -> None:
    await install(service, fake_github, 7001, "octo")
    anonymous = await service.client.get("/dashboard/billing?account=octo", headers={"accept": "text/html"})
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login?next=")
    await log_in(service, fake_github, "mallory")
    other = await service.client.get("/dashboard/billing?account=octo", headers={"accept": "text/html"})
    assert other.status_code == 404 and "octo" in other.text  # says which account it could not find, nothing more
