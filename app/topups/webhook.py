"""Receiving a Stripe webhook: verify the signature with the SDK, store the event once, apply it, all at once.

The event is applied in the transaction that stores it, not in a job: applying it is a few rows of
database work with no outside call, so the request stays fast, "stored" always means "applied" (no
pending rows to requeue, no dependence on the queue), and the balance has changed by the time Stripe
gets its 200, which the top-up success page relies on. If applying fails, nothing is stored and Stripe's
retry delivers the event again.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Annotated

import stripe
from msgspec import Meta, Struct
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.engine import Sessions
from app.db.retry import in_transaction
from app.errors import AppError, BadRequest
from app.topups import repository
from app.topups.events import apply_event
from app.topups.objects import StripeEventEnvelope, parse_envelope

log = logging.getLogger("contextjson.topups")

BAD_SIGNATURE = "stripe.bad_signature"


class StripeWebhookNotConfigured(AppError):
    status_code = 503
    code = "stripe.webhook_not_configured"
    title = "Stripe webhooks are not configured"


class EventStatus(StrEnum):
    """What became of a Stripe event."""

    APPLIED = "applied"  # it changed a balance or a top-up
    IGNORED = "ignored"  # stored; nothing to change (a type not used, not our session, done before)
    WAITING = "waiting"  # stored; a refund applied as soon as its payment's credit lands
    FAILED = "failed"  # stored; its object could not be read
    DUPLICATE = "duplicate"  # this event id was received before: nothing new


class StripeReceipt(Struct):
    """The acknowledgement of a Stripe event (Stripe only looks at the 2xx status)."""

    status: EventStatus
    event: Annotated[str, Meta(description="Stripe's event id (evt_…).")]


def verified_payload(secret: str | None, body: bytes, signature: str | None) -> str:
    """The body as text once its Stripe-Signature verifies (SDK check, SDK's default tolerance); 400 otherwise."""
    if not secret:
        raise StripeWebhookNotConfigured("STRIPE_WEBHOOK_SECRET is not set; Stripe events cannot be verified")
    try:
        payload = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest("body is not UTF-8 JSON", code="stripe.malformed_json") from exc
    try:
        stripe.WebhookSignature.verify_header(payload, signature, secret, stripe.Webhook.DEFAULT_TOLERANCE)
    except stripe.SignatureVerificationError as exc:
        reason = exc.user_message or "it does not match"
        raise BadRequest(f"Stripe-Signature does not verify: {reason}", code=BAD_SIGNATURE) from exc
    return payload


async def receive_stripe_event(
    sessions: Sessions, *, secret: str | None, body: bytes, signature: str | None
) -> StripeReceipt:
    """Verify, then store and apply the event in one unit of work (re-run if it loses a deadlock)."""
    payload = verified_payload(secret, body, signature)
    event = parse_envelope(payload)

    async def store_and_apply(session: AsyncSession) -> EventStatus:
        pk = await repository.insert_event(session, event, payload)
        if pk is None:
            return EventStatus.DUPLICATE
        outcome = await apply_event(session, event)
        await repository.finish_event(session, pk, outcome.status, outcome.note)
        return EventStatus(outcome.status.value)

    status = await in_transaction(sessions, store_and_apply, name="stripe.webhook")
    _log(event, status)
    return StripeReceipt(status, event.id)


def _log(event: StripeEventEnvelope, status: EventStatus) -> None:
    log.info("stripe.%s event=%s status=%s", event.type, event.id, status)
