"""POST /webhooks/stripe: signed by the SDK's own signer, stored once by event id, credited once per Checkout
Session; replays, reordering, stale and forged events change nothing."""

from __future__ import annotations

import time

from app.db.models import TopupStatus
from app.settings import Settings
from app.topups.service import checkout_params
from tests.conftest import Service, running_service
from tests.fakes import stripe_wire
from tests.fakes.stripe_fake import FakeStripe
from tests.support.problems import assert_problem
from tests.topups.helpers import (
    add_account,
    ledger,
    money,
    paid_at_stripe,
    send,
    start_topup,
    status_of,
    stored_events,
    tampered,
    topup,
)

USD_12_50 = 12_500_000


async def test_a_paid_session_credits_the_account_once_whatever_is_sent_again(
    service: Service, fake_stripe: FakeStripe
) -> None:
    sessions = service.clients.sessions
    account_id = await add_account(sessions, balance_micros=5_000_000)  # a balance from before the ledger
    started = await start_topup(service, account_id, "12.50")
    completed = fake_stripe.complete(started.session_id)

    assert status_of(await send(service, fake_stripe, completed)) == "applied"
    assert await money(sessions, account_id) == (5_000_000 + USD_12_50, USD_12_50)  # seeded balance has no entry
    assert await ledger(sessions, account_id) == [("topup", USD_12_50, f"stripe:checkout:{started.session_id}")]
    row = await topup(sessions, started.session_id)
    assert row is not None and (row.status, row.credited_micros) == (TopupStatus.CREDITED, USD_12_50)
    assert row.payment_intent_id == fake_stripe.sessions[started.session_id]["payment_intent"]

    # Stripe retries an event with a fresh signature; a second event type for the same payment follows.
    assert status_of(await send(service, fake_stripe, completed)) == "duplicate"
    assert status_of(await send(service, fake_stripe, completed, timestamp=int(time.time()) - 60)) == "duplicate"
    succeeded = fake_stripe.async_payment_succeeded(started.session_id)
    assert status_of(await send(service, fake_stripe, succeeded)) == "ignored"
    assert await money(sessions, account_id) == (5_000_000 + USD_12_50, USD_12_50)
    assert len(await ledger(sessions, account_id)) == 1
    assert await stored_events(sessions) == {
        completed["id"]: ("applied", f"credited 12.50 USD to account {account_id}"),
        succeeded["id"]: ("ignored", "already credited"),
    }


async def test_a_delayed_payment_credits_once_when_it_clears_in_either_order(
    service: Service, fake_stripe: FakeStripe
) -> None:
    sessions = service.clients.sessions
    account_id, session_id, completed = await paid_at_stripe(service, fake_stripe, "12.50", delayed=True)
    assert completed["data"]["object"]["payment_status"] == "unpaid"
    assert status_of(await send(service, fake_stripe, completed)) == "applied"
    row = await topup(sessions, session_id)
    assert row is not None and row.status == TopupStatus.PROCESSING
    assert await money(sessions, account_id) == (0, 0)

    succeeded = fake_stripe.async_payment_succeeded(session_id)
    assert status_of(await send(service, fake_stripe, succeeded)) == "applied"
    assert status_of(await send(service, fake_stripe, succeeded)) == "duplicate"
    assert await money(sessions, account_id) == (USD_12_50, USD_12_50)

    # Reordered: the clearing arrives before the completion; the late completion changes nothing.
    second = await start_topup(service, account_id, "7")
    late = fake_stripe.complete(second.session_id, delayed=True)
    early = fake_stripe.async_payment_succeeded(second.session_id)
    assert status_of(await send(service, fake_stripe, early)) == "applied"
    assert status_of(await send(service, fake_stripe, late)) == "ignored"
    row = await topup(sessions, second.session_id)
    assert row is not None and row.status == TopupStatus.CREDITED
    assert await money(sessions, account_id) == (USD_12_50 + 7_000_000, USD_12_50 + 7_000_000)


async def test_failed_and_expired_sessions_credit_nothing_and_say_so(service: Service, fake_stripe: FakeStripe) -> None:
    sessions = service.clients.sessions
    account_id = await add_account(sessions)
    bank = await start_topup(service, account_id, "30")
    abandoned = await start_topup(service, account_id, "40")
    assert status_of(await send(service, fake_stripe, fake_stripe.complete(bank.session_id, delayed=True))) == "applied"
    assert status_of(await send(service, fake_stripe, fake_stripe.async_payment_failed(bank.session_id))) == "applied"
    assert status_of(await send(service, fake_stripe, fake_stripe.expire(abandoned.session_id))) == "applied"
    assert [(await topup(sessions, s.session_id)).status for s in (bank, abandoned)] == [  # type: ignore[union-attr]
        TopupStatus.FAILED,
        TopupStatus.EXPIRED,
    ]
    assert await money(sessions, account_id) == (0, 0)


async def test_forged_tampered_unsigned_and_stale_events_change_nothing(
    service: Service, fake_stripe: FakeStripe
) -> None:
    sessions = service.clients.sessions
    account_id, session_id, completed = await paid_at_stripe(service, fake_stripe, "12.50")
    body, signature = fake_stripe.signed(completed)
    other_secret = FakeStripe(webhook_secret="whsec_someone_else").signed(completed)[1]

    attempts = {
        "wrong secret": await send(service, fake_stripe, completed, signature=other_secret),
        "amount raised": await send(service, fake_stripe, completed, body=tampered(body, amount_total=99_999_00)),
        "no signature": await service.client.post("/webhooks/stripe", content=body),
        "garbage header": await send(service, fake_stripe, completed, signature="t=abc,v1=nothex"),
        "stale": await send(service, fake_stripe, completed, timestamp=int(time.time()) - 301),
    }
    for name, resp in attempts.items():
        problem = assert_problem(resp, 400, "stripe.bad_signature")
        assert "Stripe-Signature does not verify" in problem["detail"], name
    assert "tolerance" in attempts["stale"].json()["detail"]
    assert await stored_events(sessions) == {}
    assert await money(sessions, account_id) == (0, 0)

    # A captured delivery replayed much later is stale too, even after the real one was applied.
    assert status_of(await send(service, fake_stripe, completed)) == "applied"
    stale_replay = await send(service, fake_stripe, completed, timestamp=int(time.time()) - 3600)
    assert_problem(stale_replay, 400, "stripe.bad_signature")
    assert await money(sessions, account_id) == (USD_12_50, USD_12_50)


async def test_malformed_oversized_and_unconfigured(
    service: Service, fake_stripe: FakeStripe, settings: Settings
) -> None:
    for body, code in (
        (b'{"id": "evt_1", "type": "checkout.session.completed", ', "stripe.malformed_json"),
        (b'{"hello": "world"}', "stripe.malformed_event"),
        (b'[{"id": "evt_1"}]', "stripe.malformed_event"),
        (b"\xff\xfe{}", "stripe.malformed_json"),
    ):
        signed = await send(service, fake_stripe, {}, body=body, signature=fake_stripe.signature_for(body))
        assert_problem(signed, 400, code)
    assert await stored_events(service.clients.sessions) == {}

    small = settings.model_copy(update={"webhook_max_body_bytes": 64})
    async with running_service(small) as limited:
        event = fake_stripe.complete(
            (await start_topup(limited, await add_account(limited.clients.sessions))).session_id
        )
        assert_problem(await send(limited, fake_stripe, event), 413, "webhooks.too_large")

    unconfigured = settings.model_copy(update={"stripe_webhook_secret": None})
    async with running_service(unconfigured) as bare:
        problem = assert_problem(await send(bare, fake_stripe, event), 503, "stripe.webhook_not_configured")
        assert "STRIPE_WEBHOOK_SECRET" in problem["detail"]
        assert await stored_events(bare.clients.sessions) == {}


async def test_a_session_for_an_unknown_account_is_stored_and_credits_nobody(
    service: Service, fake_stripe: FakeStripe
) -> None:
    rt = service.clients
    known = await add_account(rt.sessions, "octo")
    # A session this service did not start, naming a login that has no account here.
    created = await rt.stripe.create_checkout_session(
        checkout_params(rt.settings, account_id=9999, login="nobody", cents=2000)
    )
    completed = fake_stripe.complete(created.id)
    assert status_of(await send(service, fake_stripe, completed)) == "ignored"
    assert (await stored_events(rt.sessions))[completed["id"]] == (
        "ignored",
        "no account for client_reference_id 'nobody'",
    )
    assert await topup(rt.sessions, created.id) is None
    assert await money(rt.sessions, known) == (0, 0)

    # One it did not start but that names a known login (a Payment Link, say) credits that account.
    link = await rt.stripe.create_checkout_session(
        checkout_params(rt.settings, account_id=9999, login="OCTO", cents=2000)
    )
    assert status_of(await send(service, fake_stripe, fake_stripe.complete(link.id))) == "applied"
    assert await money(rt.sessions, known) == (20_000_000, 20_000_000)


async def test_event_types_the_service_does_not_use_are_stored_and_ignored(
    service: Service, fake_stripe: FakeStripe
) -> None:
    event = stripe_wire.event("payment_intent.succeeded", {"id": "pi_123", "object": "payment_intent", "amount": 500})
    assert status_of(await send(service, fake_stripe, event)) == "ignored"
    broken = stripe_wire.event("checkout.session.completed", {"object": "checkout.session"})
    assert status_of(await send(service, fake_stripe, broken)) == "failed"
    events = await stored_events(service.clients.sessions)
    assert events[event["id"]] == ("ignored", "payment_intent.succeeded is not used by this service")
    assert events[broken["id"]][0] == "failed" and "malformed checkout.session.completed" in str(
        events[broken["id"]][1]
    )
