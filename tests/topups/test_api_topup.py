"""POST /api/account/topup: a signed-in owner starts a top-up for their own account only; the webhook credits."""

from __future__ import annotations

from typing import Any

from app.auth.viewer import CSRF_HEADER
from tests.auth.helpers import install, log_in
from tests.conftest import Service
from tests.fakes.stripe_fake import FakeStripe
from tests.support.problems import assert_problem
from tests.topups.helpers import money, send


async def _csrf(service: Service) -> str:
    """The session's CSRF token, as the dashboard's pages carry it."""
    page = await service.client.get("/dashboard", headers={"accept": "text/html"})
    marker = 'name="csrf_token" value="'
    assert marker in page.text, page.text[:500]
    return page.text.split(marker, 1)[1].split('"', 1)[0]


async def test_an_owner_tops_up_and_the_webhook_credits_once(
    service: Service, fake_github: Any, fake_stripe: FakeStripe
) -> None:
    account_id = await install(service, fake_github, 7001, "octo")
    await log_in(service, fake_github, "octo")
    before = await money(service.clients.sessions, account_id)
    resp = await service.client.post(
        "/api/account/topup", json={"amount_usd": "25"}, headers={CSRF_HEADER: await _csrf(service)}
    )
    assert resp.status_code == 201, resp.text
    started = resp.json()
    assert started["session_id"].startswith("cs_") and started["checkout_url"].startswith(fake_stripe.url)
    [created] = fake_stripe.created_sessions()
    assert created["client_reference_id"] == "octo" and created["line_items"][0]["price_data"]["unit_amount"] == "2500"
    assert await money(service.clients.sessions, account_id) == before  # nothing until Stripe says paid
    event = fake_stripe.complete(started["session_id"])
    assert (await send(service, fake_stripe, event)).status_code == 200
    assert (await send(service, fake_stripe, event)).status_code == 200  # a replay changes nothing
    balance, _ = await money(service.clients.sessions, account_id)
    assert balance == before[0] + 25_000_000


async def test_topups_need_login_csrf_a_valid_amount_and_the_owners_account(
    service: Service, fake_github: Any, fake_stripe: FakeStripe
) -> None:
    await install(service, fake_github, 7001, "octo")
    await install(service, fake_github, 7002, "mallory")
    assert_problem(
        await service.client.post("/api/account/topup", json={"amount_usd": "25"}), 401, "auth.login_required"
    )
    await log_in(service, fake_github, "mallory")
    no_csrf = await service.client.post("/api/account/topup", json={"amount_usd": "25"})
    assert_problem(no_csrf, 403, "auth.csrf_failed")
    csrf = {CSRF_HEADER: await _csrf(service)}
    other = await service.client.post("/api/account/topup?account=octo", json={"amount_usd": "25"}, headers=csrf)
    assert_problem(other, 404, "account.not_found")
    for bad in ("0.001", "1000000", "abc", -5):
        resp = await service.client.post("/api/account/topup", json={"amount_usd": bad}, headers=csrf)
        assert_problem(resp, 400, "topups.invalid_amount")
    assert fake_stripe.created_sessions() == []
