"""The Stripe webhook router: POST /webhooks/stripe. Open to anyone; an event proves itself by its signature."""

from __future__ import annotations

from litestar import Router

from app.guards import ANONYMOUS
from app.topups.controller import stripe_webhook

router = Router(path="/webhooks", route_handlers=[stripe_webhook], guards=ANONYMOUS, tags=["webhooks"])
