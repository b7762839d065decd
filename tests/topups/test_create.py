"""Starting a top-up: a Checkout Session at Stripe (the fake, over real HTTP) for an allowed amount; no money moves."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from app.db.models import TopupStatus
from app.errors import AppError
from app.topups.service import create_topup, topup_state
from app.topups.stripe_api import StripeGateway
from tests.conftest import Service
from tests.fakes.stripe_fake import FakeStripe
from tests.support.held_connections import watch_held_connections
from tests.topups.helpers import add_account, ledger, money, send, start_topup, status_of, topup


async def test_a_top_up_is_a_checkout_session_for_that_amount_tied_to_the_account(
    service: Service, fake_stripe: FakeStripe
) -> None:
    account_id = await add_account(service.clients.sessions, "Octo-Cat")
    started = await start_topup(service, account_id, "12.50")

    [form] = fake_stripe.created_sessions()
    assert form["mode"] == "payment"
    assert form["line_items"] == [
        {
            "quantity": "1",
            "price_data": {
                "currency": "usd",
                "unit_amount": "1250",
                "product_data": {"name": "contextjson credit", "description": "Balance top-up for Octo-Cat"},
            },
        }
    ]
    assert form["client_reference_id"] == "Octo-Cat"
    assert form["metadata"] == {"account_id": str(account_id), "account_login": "Octo-Cat"}
    assert form["payment_intent_data"]["metadata"] == form["metadata"]
    assert form["success_url"] == "http://contextjson.test/dashboard/billing?topup={CHECKOUT_SESSION_ID}"
    assert form["cancel_url"] == "http://contextjson.test/dashboard/billing?topup=cancelled"
    assert fake_stripe.requests[0].headers["authorization"] == f"Bearer {fake_stripe.api_key}"

    assert started.session_id.startswith("cs_test_") and started.session_id in fake_stripe.sessions
    assert started.checkout_url == fake_stripe.sessions[started.session_id]["url"]
    row = await topup(service.clients.sessions, started.session_id)
    assert row is not None and (row.account_id, row.amount_micros, row.status) == (
        account_id,
        12_500_000,
        TopupStatus.OPEN,
    )
    assert await money(service.clients.sessions, account_id) == (0, 0)  # only the webhook credits
    assert await ledger(service.clients.sessions, account_id) == []


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("4.99", "between 5 and 500 USD"),
        ("500.01", "between 5 and 500 USD"),
        ("0", "between 5 and 500 USD"),
        ("-20", "between 5 and 500 USD"),
        ("10.005", "whole cents"),
        ("NaN", "a number of US dollars"),
        ("Infinity", "a number of US dollars"),
        ("ten", "a number of US dollars"),
    ],
)
async def test_amounts_outside_the_limits_are_refused_before_stripe_is_asked(
    service: Service, fake_stripe: FakeStripe, amount: str, words: str
) -> None:
    rt = service.clients
    account_id = await add_account(rt.sessions)
    with pytest.raises(AppError) as refused:
        await create_topup(rt.sessions, rt.stripe, rt.settings, account_id=account_id, amount_usd=amount)
    assert (refused.value.status_code, refused.value.code) == (400, "topups.invalid_amount")
    assert words in refused.value.detail
    assert fake_stripe.requests == []


async def test_the_limits_themselves_are_allowed_and_come_from_the_settings(
    service: Service, fake_stripe: FakeStripe
) -> None:
    rt = service.clients
    account_id = await add_account(rt.sessions)
    for amount in (Decimal(5), Decimal("500.00"), 7):
        await create_topup(rt.sessions, rt.stripe, rt.settings, account_id=account_id, amount_usd=amount)
    assert [f["line_items"][0]["price_data"]["unit_amount"] for f in fake_stripe.created_sessions()] == [
        "500",
        "50000",
        "700",
    ]
    narrow = rt.settings.model_copy(update={"topup_min_usd": Decimal(20), "topup_max_usd": Decimal(30)})
    with pytest.raises(AppError, match="between 20 and 30 USD"):
        await create_topup(rt.sessions, rt.stripe, narrow, account_id=account_id, amount_usd=Decimal(10))


async def test_unknown_account_and_missing_key_are_clear_errors(service: Service, fake_stripe: FakeStripe) -> None:
    rt = service.clients
    with pytest.raises(AppError) as unknown:
        await create_topup(rt.sessions, rt.stripe, rt.settings, account_id=424242, amount_usd=Decimal(10))
    assert (unknown.value.status_code, unknown.value.code) == (404, "topups.unknown_account")

    account_id = await add_account(rt.sessions)
    unconfigured = StripeGateway(rt.settings.model_copy(update={"stripe_secret_key": None}))
    assert not unconfigured.configured
    with pytest.raises(AppError) as missing:
        await create_topup(rt.sessions, unconfigured, rt.settings, account_id=account_id, amount_usd=Decimal(10))
    assert (missing.value.status_code, missing.value.code) == (503, "stripe.not_configured")
    assert "STRIPE_SECRET_KEY" in missing.value.detail
    assert fake_stripe.requests == []


async def test_a_refused_key_is_reported_as_configuration_not_as_an_outage(
    service: Service, fake_stripe: FakeStripe
) -> None:
    rt = service.clients
    account_id = await add_account(rt.sessions)
    wrong = StripeGateway(rt.settings.model_copy(update={"stripe_secret_key": "sk_test_revoked"}))
    try:
        with pytest.raises(AppError) as refused:
            await create_topup(rt.sessions, wrong, rt.settings, account_id=account_id, amount_usd=Decimal(10))
    finally:
        await wrong.aclose()
    assert (refused.value.status_code, refused.value.code) == (503, "stripe.not_configured")
    assert "sk_test_revoked" not in refused.value.detail


async def test_a_stripe_hiccup_is_retried_with_the_same_idempotency_key(
    service: Service, fake_stripe: FakeStripe
) -> None:
    account_id = await add_account(service.clients.sessions)
    fake_stripe.fail_next(500)
    started = await start_topup(service, account_id, "20")
    first, retry = fake_stripe.requests
    assert first.headers["idempotency-key"] == retry.headers["idempotency-key"]
    assert list(fake_stripe.sessions) == [started.session_id]  # one session, however many attempts


async def test_a_refusal_or_outage_at_stripe_stores_nothing_and_says_nothing_was_charged(
    service: Service, fake_stripe: FakeStripe
) -> None:
    account_id = await add_account(service.clients.sessions)
    # A 400 is final; a 503 is retried twice by the SDK (three answers in all).
    for status, times, words in ((400, 1, "Stripe refused"), (503, 3, "could not be reached")):
        fake_stripe.fail_next(status, "Something internal", times=times)
        with pytest.raises(AppError) as failed:
            await start_topup(service, account_id, "20")
        assert (failed.value.status_code, failed.value.code) == (502, "stripe.unavailable")
        assert words in failed.value.detail and "Nothing was charged" in failed.value.detail
        assert "internal" not in failed.value.detail
    assert fake_stripe.sessions == {}
    assert await ledger(service.clients.sessions, account_id) == []


async def test_no_database_connection_is_held_while_stripe_is_called(
    service: Service, fake_stripe: FakeStripe, monkeypatch: pytest.MonkeyPatch
) -> None:
    rt = service.clients
    account_id = await add_account(rt.sessions)
    with watch_held_connections(rt.engine, monkeypatch) as watch:
        started = await start_topup(service, account_id)
        await topup_state(rt.sessions, rt.stripe, account_id=account_id, checkout_session_id=started.session_id)
    assert watch.outside_calls == 2
    assert not watch.calls and not watch.nested, watch.report()


async def test_the_state_of_a_top_up_for_the_page_stripe_returns_to(service: Service, fake_stripe: FakeStripe) -> None:
    rt = service.clients
    account_id = await add_account(rt.sessions, balance_micros=1_000_000)
    other = await add_account(rt.sessions, "someone-else")
    started = await start_topup(service, account_id, "12.50")

    async def state() -> Any:
        return await topup_state(rt.sessions, rt.stripe, account_id=account_id, checkout_session_id=started.session_id)

    assert (await state()).status == "open"
    completed = fake_stripe.complete(started.session_id)
    opened = await state()  # paid at Stripe, the webhook has not landed: the page says so
    assert (opened.status, opened.amount_usd, opened.balance_usd) == ("confirming", "12.50", "1.00")
    assert status_of(await send(service, fake_stripe, completed)) == "applied"
    landed = await state()
    assert (landed.status, landed.balance_usd) == ("credited", "13.50")

    for who, session_id in ((other, started.session_id), (account_id, "cs_test_unknown")):
        with pytest.raises(AppError) as hidden:
            await topup_state(rt.sessions, rt.stripe, account_id=who, checkout_session_id=session_id)
        assert (hidden.value.status_code, hidden.value.code) == (404, "topups.not_found")
