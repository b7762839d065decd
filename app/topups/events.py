"""Applying a verified, newly stored Stripe event: credit a paid Checkout Session once, debit refunds once.

Every change is keyed so that replays, a second event for the same payment and any order of arrival
leave the same balance: a credit by the Checkout Session id (`stripe:checkout:<cs_id>`), a refund by the
charge and the refunded total it reports (`stripe:refund:<ch_id>:<cents>`), and only the part of that
total not debited before is debited. Events of one payment are serialized (repository.lock_payment).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.billing.ledger import credit_once
from app.db.models import LedgerKind, StripeEventStatus, TopupStatus
from app.topups import repository
from app.topups.money import MICROS_PER_CENT, usd_text
from app.topups.objects import ChargeObject, CheckoutSessionObject, StripeEventEnvelope, parse_envelope

log = logging.getLogger("contextjson.topups")

Status = StripeEventStatus


@dataclass(frozen=True)
class Outcome:
    """What an event did, as stored on its row."""

    status: StripeEventStatus
    note: str | None = None


async def apply_event(session: AsyncSession, event: StripeEventEnvelope) -> Outcome:
    """Apply one event (flushes only; the caller's unit of work commits it together with the stored event)."""
    handler = _HANDLERS.get(event.type)
    if handler is None:
        return Outcome(Status.IGNORED, f"{event.type} is not used by this service")
    try:
        return await handler(session, event)
    except ValidationError as exc:  # raised before anything is written
        log.warning("stripe.event.malformed event=%s type=%s errors=%d", event.id, event.type, exc.error_count())
        return Outcome(Status.FAILED, f"malformed {event.type} object: {exc.error_count()} field(s) missing or wrong")


async def _session_completed(session: AsyncSession, event: StripeEventEnvelope) -> Outcome:
    obj = CheckoutSessionObject.model_validate(event.data.object)
    if obj.payment_status == "paid":
        return await _credit(session, obj)
    # A delayed payment method (e.g. a bank debit): checkout.session.async_payment_succeeded credits it later.
    moved = await repository.move_topup(
        session, obj.id, TopupStatus.PROCESSING, allowed_from=[TopupStatus.OPEN], payment_intent_id=obj.payment_intent
    )
    return Outcome(Status.APPLIED if moved else Status.IGNORED, f"completed with payment_status={obj.payment_status}")


async def _async_payment_succeeded(session: AsyncSession, event: StripeEventEnvelope) -> Outcome:
    obj = CheckoutSessionObject.model_validate(event.data.object)
    if obj.payment_status != "paid":
        return Outcome(Status.IGNORED, f"payment_status={obj.payment_status}")
    return await _credit(session, obj)


async def _session_unpaid_end(session: AsyncSession, event: StripeEventEnvelope) -> Outcome:
    """async_payment_failed or expired: the top-up ends unpaid, unless it was credited meanwhile."""
    obj = CheckoutSessionObject.model_validate(event.data.object)
    failed = event.type == "checkout.session.async_payment_failed"
    to = TopupStatus.FAILED if failed else TopupStatus.EXPIRED
    moved = await repository.move_topup(
        session,
        obj.id,
        to,
        allowed_from=[TopupStatus.OPEN, TopupStatus.PROCESSING],
        payment_intent_id=obj.payment_intent,
    )
    return Outcome(Status.APPLIED if moved else Status.IGNORED, f"top-up {to}" if moved else "nothing to change")


async def _credit(session: AsyncSession, obj: CheckoutSessionObject) -> Outcome:
    if (obj.currency or "").lower() != "usd" or not obj.amount_total or obj.amount_total <= 0:
        return Outcome(Status.IGNORED, f"not a USD payment: amount_total={obj.amount_total} currency={obj.currency}")
    if obj.payment_intent:
        await repository.lock_payment(session, obj.payment_intent)
    account_id = await _owner(session, obj)
    if account_id is None:
        log.warning("stripe.topup.unknown_account session=%s client_reference_id=%r", obj.id, obj.client_reference_id)
        return Outcome(Status.IGNORED, f"no account for client_reference_id {obj.client_reference_id!r}")
    micros = obj.amount_total * MICROS_PER_CENT
    key = f"stripe:checkout:{obj.id}"
    if not await credit_once(
        session, account_id=account_id, amount_micros=micros, idempotency_key=key, kind=LedgerKind.TOPUP, note=obj.id
    ):
        return Outcome(Status.IGNORED, "already credited")
    # A session this service did not create (a Payment Link, an older release) gets its row here.
    await repository.insert_topup(session, checkout_session_id=obj.id, account_id=account_id, amount_micros=micros)
    await repository.mark_credited(session, obj.id, payment_intent_id=obj.payment_intent, credited_micros=micros)
    log.info("billing.topup account=%s session=%s amount_usd=%s", account_id, obj.id, usd_text(micros))
    if obj.payment_intent:
        await _apply_waiting_refunds(session, obj.payment_intent)
    return Outcome(Status.APPLIED, f"credited {usd_text(micros)} USD to account {account_id}")


async def _owner(session: AsyncSession, obj: CheckoutSessionObject) -> int | None:
    """Who pays: the account that started the session, else its metadata, else the login it names."""
    topup = await repository.get_topup(session, obj.id)
    if topup is not None:
        return topup.account_id
    stated = (obj.metadata or {}).get("account_id", "")
    if stated.isdigit() and await repository.account_login(session, int(stated)) is not None:
        return int(stated)
    if obj.client_reference_id:
        return await repository.account_id_by_login(session, obj.client_reference_id)
    return None


async def _charge_refunded(session: AsyncSession, event: StripeEventEnvelope) -> Outcome:
    charge = ChargeObject.model_validate(event.data.object)
    if not charge.payment_intent:
        return Outcome(Status.IGNORED, "a charge without a payment intent is not a top-up")
    await repository.lock_payment(session, charge.payment_intent)
    return await _refund(session, charge)


async def _refund(session: AsyncSession, charge: ChargeObject) -> Outcome:
    """Debit the part of the charge's refunded total not debited yet (at most what was credited)."""
    assert charge.payment_intent is not None
    found = await repository.topup_by_payment_intent(session, charge.payment_intent)
    if found is None or found.status != TopupStatus.CREDITED or found.id is None:
        return Outcome(Status.WAITING, "no credited top-up for this payment (yet)")
    if charge.currency.lower() != "usd":
        return Outcome(Status.IGNORED, f"refund in {charge.currency}")
    await repository.lock_account(session, found.account_id)
    topup = await repository.lock_topup(session, found.id)
    total = min(charge.amount_refunded * MICROS_PER_CENT, topup.credited_micros)
    new = total - topup.refunded_micros
    if new <= 0:
        return Outcome(Status.IGNORED, "this refund was debited before")
    await credit_once(
        session,
        account_id=topup.account_id,
        amount_micros=-new,  # a debit: the refunded money left the balance
        idempotency_key=f"stripe:refund:{charge.id}:{charge.amount_refunded}",
        kind=LedgerKind.REFUND,
        note=f"{topup.checkout_session_id} {charge.id}",
    )
    await repository.record_refund(session, found.id, total)
    log.info("billing.refund account=%s charge=%s amount_usd=%s", topup.account_id, charge.id, usd_text(new))
    return Outcome(Status.APPLIED, f"debited {usd_text(new)} USD refunded on {charge.id}")


async def _apply_waiting_refunds(session: AsyncSession, payment_intent_id: str) -> None:
    """Refund events that arrived before the credit they refund."""
    for stored in await repository.waiting_refunds(session, payment_intent_id):
        assert stored.id is not None
        charge = ChargeObject.model_validate(parse_envelope(stored.payload).data.object)
        outcome = await _refund(session, charge)
        await repository.finish_event(session, stored.id, outcome.status, outcome.note)


_HANDLERS: dict[str, Callable[[AsyncSession, StripeEventEnvelope], Awaitable[Outcome]]] = {
    "checkout.session.completed": _session_completed,
    "checkout.session.async_payment_succeeded": _async_payment_succeeded,
    "checkout.session.async_payment_failed": _session_unpaid_end,
    "checkout.session.expired": _session_unpaid_end,
    "charge.refunded": _charge_refunded,
}
