"""POST /webhooks/stripe: verify, store once, apply, answer 200. No Stripe call happens here."""

from __future__ import annotations

from typing import Any

from litestar import Request, post
from litestar.di import NamedDependency

from app.db.engine import Sessions
from app.openapi import (
    documented,
    documented_body,
    header,
    header_parameters,
    problem_responses,
    request_example,
    response_example,
)
from app.settings import Settings
from app.topups.objects import MALFORMED
from app.topups.webhook import BAD_SIGNATURE, StripeReceipt, StripeWebhookNotConfigured, receive_stripe_event
from app.webhooks.controller import TOO_LARGE, read_body

_EVENT_EXAMPLE = {
    "id": "evt_1QhA2b3C4d5E6f7G",
    "object": "event",
    "type": "checkout.session.completed",
    "data": {"object": {"id": "cs_test_a1B2c3D4e5", "object": "checkout.session", "payment_status": "paid"}},
}
_STRIPE_DOCS = documented(
    header_parameters(
        header(
            "Stripe-Signature",
            "Stripe's `t=…,v1=…` signature of the body with STRIPE_WEBHOOK_SECRET.",
            "t=1764300000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd",
        )
    ),
    request_example(_EVENT_EXAMPLE),
    response_example(200, {"status": "applied", "event": _EVENT_EXAMPLE["id"]}),
)


@post(
    "/stripe",
    status_code=200,
    request_max_body_size=None,  # WEBHOOK_MAX_BODY_BYTES applies instead (read_body)
    summary="Stripe webhook",
    description=(
        "Verifies Stripe-Signature with the stripe SDK (its default 300 s tolerance), stores the event once (by "
        "its id) and applies it: a paid Checkout Session credits the account once, `charge.refunded` debits "
        "the newly refunded part once."
    ),
    response_description="Stored (or stored before) and applied.",
    responses=problem_responses(
        {
            400: [BAD_SIGNATURE, "stripe.malformed_json", MALFORMED, "http.bad_request"],
            413: [TOO_LARGE],
            StripeWebhookNotConfigured.status_code: [StripeWebhookNotConfigured.code],
        }
    ),
    # A Stripe event object, read raw: the signature covers the exact bytes.
    dependencies=documented_body(dict[str, Any]),
    operation_class=_STRIPE_DOCS,
)
async def stripe_webhook(
    request: Request, sessions: NamedDependency[Sessions], settings: NamedDependency[Settings]
) -> StripeReceipt:
    """Receive one Stripe event."""
    body = await read_body(request, settings.webhook_max_body_bytes)
    return await receive_stripe_event(
        sessions, secret=settings.stripe_webhook_secret, body=body, signature=request.headers.get("stripe-signature")
    )
