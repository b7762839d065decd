"""Stripe delivers concurrently and retries: the same event, or several events of one payment, arriving at
once on PostgreSQL (many connections, real row locks) still credit once and debit refunds once."""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import text

from app.db.engine import Sessions
from app.db.models import StripeEventStatus
from app.topups import repository
from app.topups.events import apply_event
from app.topups.objects import parse_envelope
from tests.conftest import Service
from tests.fakes.stripe_fake import FakeStripe
from tests.topups.helpers import ledger, money, paid_at_stripe, send, status_of, stored_events

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

USD = 1_000_000
COPIES = 12


async def _deliver_all(service: Service, fake: FakeStripe, events: list[dict[str, Any]]) -> Counter[str]:
    """Send every event at once (each freshly signed, as Stripe's retries are), in a random order."""
    shuffled = random.sample(events, len(events))
    answers = await asyncio.gather(*(send(service, fake, event) for event in shuffled))
    return Counter(status_of(answer) for answer in answers)


async def test_the_same_event_delivered_many_times_at_once_credits_once(
    service: Service, fake_stripe: FakeStripe
) -> None:
    sessions = service.clients.sessions
    account_id, session_id, completed = await paid_at_stripe(service, fake_stripe, "12.50")

    assert await _deliver_all(service, fake_stripe, [completed] * COPIES) == {"applied": 1, "duplicate": COPIES - 1}
    assert await money(sessions, account_id) == (12_500_000, 12_500_000)
    assert len(await ledger(sessions, account_id)) == 1


async def test_both_events_of_one_payment_at_once_credit_once(service: Service, fake_stripe: FakeStripe) -> None:
    sessions = service.clients.sessions
    account_id, session_id, completed = await paid_at_stripe(service, fake_stripe, "30")
    succeeded = fake_stripe.async_payment_succeeded(session_id)

    outcomes = await _deliver_all(service, fake_stripe, [completed, succeeded] * (COPIES // 2))
    assert outcomes["applied"] == 1 and outcomes["ignored"] == 1 and outcomes["duplicate"] == COPIES - 2
    assert await money(sessions, account_id) == (30 * USD, 30 * USD)


async def test_refunds_racing_each_other_and_their_credit_debit_the_refunded_total_once(
    service: Service, fake_stripe: FakeStripe
) -> None:
    sessions = service.clients.sessions
    account_id, session_id, completed = await paid_at_stripe(service, fake_stripe, "50")
    refunds = [fake_stripe.refund(session_id, cents) for cents in (1_000, 500, 1_000)]  # totals 10, 15, 25

    outcomes = await _deliver_all(service, fake_stripe, [completed, *refunds] * 3)
    assert outcomes["duplicate"] == 8, outcomes  # each of the four events is stored once
    # A refund stored before the credit answers "waiting"; the credit applies it, so none is left waiting.
    stored = await stored_events(sessions)
    assert len(stored) == 4 and "waiting" not in {status for status, _ in stored.values()}, stored
    assert await money(sessions, account_id) == (25 * USD, 25 * USD)
    debits = [amount for kind, amount, _ in await ledger(sessions, account_id) if kind == "refund"]
    assert sum(debits) == -25 * USD


async def test_a_refund_arriving_while_its_credit_is_being_written_is_applied_after_it(
    service: Service, fake_stripe: FakeStripe
) -> None:
    """The refund cannot see the uncommitted credit, and the credit cannot see the uncommitted refund: without
    the per-payment lock the refund would be left waiting for a credit that has already looked for it."""
    sessions = service.clients.sessions
    account_id, session_id, completed = await paid_at_stripe(service, fake_stripe, "20")
    refunded = fake_stripe.refund(session_id, 500)
    payload = json.dumps(completed)
    event = parse_envelope(payload)

    async with sessions() as crediting:  # the credit's transaction, written but not committed
        pk = await repository.insert_event(crediting, event, payload)
        assert pk is not None and (await apply_event(crediting, event)).status == StripeEventStatus.APPLIED
        delivery = asyncio.create_task(send(service, fake_stripe, refunded))
        for _ in range(3000):  # until the refund waits for this payment's lock (or, without one, is done)
            if delivery.done() or await _someone_waits_for_an_advisory_lock(sessions):
                break
            await asyncio.sleep(0.01)
        await crediting.commit()
    assert status_of(await delivery) == "applied"
    assert await money(sessions, account_id) == (15 * USD, 15 * USD)


async def _someone_waits_for_an_advisory_lock(sessions: Sessions) -> bool:
    async with sessions() as session:
        stmt = text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        return bool((await session.execute(stmt)).scalar_one())
