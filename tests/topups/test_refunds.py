"""charge.refunded debits what was refunded, once: amount_refunded is the charge's running total, so only the
part not debited before is debited, whatever order or how often the events arrive."""

from __future__ import annotations

from app.billing.ledger import credit_once
from app.db.models import LedgerKind, TopupStatus
from tests.conftest import Service
from tests.fakes import stripe_wire
from tests.fakes.stripe_fake import FakeStripe
from tests.topups.helpers import (
    ledger,
    money,
    paid_at_stripe,
    send,
    status_of,
    stored_events,
    topup,
)

USD = 1_000_000


async def _credited(service: Service, fake: FakeStripe, amount: str) -> tuple[int, str]:
    """A new account credited with a top-up of `amount`: (account id, Checkout Session id)."""
    account_id, session_id, completed = await paid_at_stripe(service, fake, amount)
    assert status_of(await send(service, fake, completed)) == "applied"
    return account_id, session_id


async def test_two_partial_refunds_debit_each_new_part_once(service: Service, fake_stripe: FakeStripe) -> None:
    sessions = service.clients.sessions
    account_id, session_id = await _credited(service, fake_stripe, "50")
    first = fake_stripe.refund(session_id, 1_000)  # $10: amount_refunded 1000
    second = fake_stripe.refund(session_id, 1_500)  # $15 more: amount_refunded 2500
    assert (first["data"]["object"]["amount_refunded"], second["data"]["object"]["amount_refunded"]) == (1_000, 2_500)

    assert status_of(await send(service, fake_stripe, first)) == "applied"
    assert await money(sessions, account_id) == (40 * USD, 40 * USD)
    assert status_of(await send(service, fake_stripe, second)) == "applied"
    for replay in (first, second):
        assert status_of(await send(service, fake_stripe, replay)) == "duplicate"
    assert await money(sessions, account_id) == (25 * USD, 25 * USD)
    charge_id = first["data"]["object"]["id"]
    assert await ledger(sessions, account_id) == [
        ("topup", 50 * USD, f"stripe:checkout:{session_id}"),
        ("refund", -10 * USD, f"stripe:refund:{charge_id}:1000"),
        ("refund", -15 * USD, f"stripe:refund:{charge_id}:2500"),
    ]
    row = await topup(sessions, session_id)
    assert row is not None and (row.status, row.refunded_micros) == (TopupStatus.CREDITED, 25 * USD)


async def test_refund_events_in_reverse_order_debit_the_total_once(service: Service, fake_stripe: FakeStripe) -> None:
    sessions = service.clients.sessions
    account_id, session_id = await _credited(service, fake_stripe, "50")
    first = fake_stripe.refund(session_id, 1_000)
    full = fake_stripe.refund(session_id, 4_000)  # the rest: refunded in full
    assert full["data"]["object"]["refunded"] is True

    assert status_of(await send(service, fake_stripe, full)) == "applied"
    assert status_of(await send(service, fake_stripe, first)) == "ignored"  # its part is inside the total
    assert await money(sessions, account_id) == (0, 0)
    assert [entry[1] for entry in await ledger(sessions, account_id)] == [50 * USD, -50 * USD]
    assert (await stored_events(sessions))[first["id"]] == ("ignored", "this refund was debited before")


async def test_a_refund_that_arrives_before_its_credit_waits_for_it(service: Service, fake_stripe: FakeStripe) -> None:
    sessions = service.clients.sessions
    account_id, session_id, completed = await paid_at_stripe(service, fake_stripe, "20")
    refunded = fake_stripe.refund(session_id, 500)

    assert status_of(await send(service, fake_stripe, refunded)) == "waiting"
    assert await money(sessions, account_id) == (0, 0)
    assert status_of(await send(service, fake_stripe, completed)) == "applied"
    assert await money(sessions, account_id) == (15 * USD, 15 * USD)
    assert (await stored_events(sessions))[refunded["id"]][0] == "applied"
    assert status_of(await send(service, fake_stripe, refunded)) == "duplicate"
    assert await money(sessions, account_id) == (15 * USD, 15 * USD)


async def test_a_refund_of_money_already_spent_leaves_the_balance_owing(
    service: Service, fake_stripe: FakeStripe
) -> None:
    """The refunded money left the operator's account, so the balance owes it; generations stop until topped up."""
    sessions = service.clients.sessions
    account_id, session_id = await _credited(service, fake_stripe, "10")
    async with sessions() as session:
        await credit_once(
            session, account_id=account_id, amount_micros=-8 * USD, idempotency_key="spent", kind=LedgerKind.DEBIT
        )
        await session.commit()
    assert status_of(await send(service, fake_stripe, fake_stripe.refund(session_id, 1_000))) == "applied"
    assert await money(sessions, account_id) == (-8 * USD, -8 * USD)


async def test_refunds_of_payments_that_are_not_top_ups_change_nothing(
    service: Service, fake_stripe: FakeStripe
) -> None:
    sessions = service.clients.sessions
    account_id, _ = await _credited(service, fake_stripe, "10")
    foreign = stripe_wire.event(
        "charge.refunded",
        {
            "id": "ch_other",
            "object": "charge",
            "amount": 900,
            "amount_refunded": 900,
            "currency": "usd",
            "payment_intent": "pi_sold_something_else",
            "refunded": True,
        },
    )
    no_intent = stripe_wire.event(
        "charge.refunded",
        {
            "id": "ch_legacy",
            "object": "charge",
            "amount": 900,
            "amount_refunded": 900,
            "currency": "usd",
            "payment_intent": None,
            "refunded": True,
        },
    )
    assert status_of(await send(service, fake_stripe, foreign)) == "waiting"
    assert status_of(await send(service, fake_stripe, no_intent)) == "ignored"
    assert await money(sessions, account_id) == (10 * USD, 10 * USD)
