"""The parts of Stripe's webhook events the service reads (event envelope, Checkout Session, Charge).

Shapes as Stripe sends them (API version 2025-x; amounts are integers in the currency's minor unit).
Unknown fields are ignored, so a newer API version does not break the webhook.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.errors import BadRequest

MALFORMED = "stripe.malformed_event"


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


class EventData(_Loose):
    object: dict[str, Any]


class StripeEventEnvelope(_Loose):
    """A v1 (snapshot) event: `data.object` is the object as it was when the event happened."""

    id: str = Field(min_length=1, max_length=255)
    type: str = Field(min_length=1, max_length=255)
    created: int | None = None
    livemode: bool = False
    data: EventData

    @property
    def created_at(self) -> datetime | None:
        return datetime.fromtimestamp(self.created, UTC) if self.created is not None else None

    @property
    def object_id(self) -> str | None:
        value = self.data.object.get("id")
        return value if isinstance(value, str) else None

    @property
    def payment_intent_id(self) -> str | None:
        value = self.data.object.get("payment_intent")
        return value if isinstance(value, str) else None


class CheckoutSessionObject(_Loose):
    """object = "checkout.session"."""

    id: str
    mode: str | None = None
    amount_total: int | None = None
    currency: str | None = None
    payment_status: str | None = None
    client_reference_id: str | None = None
    metadata: dict[str, str] | None = None
    payment_intent: str | None = None


class ChargeObject(_Loose):
    """object = "charge"; `amount_refunded` is the total refunded so far, not this refund alone."""

    id: str
    amount: int
    amount_refunded: int
    currency: str
    payment_intent: str | None = None


def parse_envelope(payload: str) -> StripeEventEnvelope:
    """The verified body as an event; 400 when it is not JSON or not a Stripe event."""
    try:
        raw = json.loads(payload)
    except json.JSONDecodeError as exc:
        raise BadRequest(f"body is not valid JSON: {exc}", code="stripe.malformed_json") from exc
    try:
        return StripeEventEnvelope.model_validate(raw)
    except ValidationError as exc:
        raise BadRequest(
            f"body is not a Stripe event: {exc.error_count()} field(s) missing or wrong", code=MALFORMED
        ) from exc
