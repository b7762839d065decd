"""FakeStripe: a loopback Stripe API (Checkout Sessions) and hosted checkout page, with in-memory payments.

Tests create sessions through the service (the stripe SDK talks to this over real HTTP), then move a
payment along (`complete`, `async_payment_succeeded`, `refund`, …): each returns the event Stripe would
send, which `signed` turns into a body and a Stripe-Signature made by the SDK's own signer. The hosted
page at a session's `url` pays it in a browser and, when `webhook_url` is set, delivers the signed event
there before sending the payer back to the session's success_url, as Stripe does.
"""

from __future__ import annotations

import threading
from contextlib import ExitStack
from typing import Any

import httpx

from tests.fakes import stripe_wire as wire
from tests.fakes.github_http import Request, Response, asgi_app, json_response
from tests.fakes.stripe_routes import ROUTER, StripeRequest
from tests.support.servers import run_asgi_in_thread

__all__ = ["FakeStripe", "StripeRequest"]


class FakeStripe:
    """In-memory Stripe, served over HTTP inside `with`; `.url` is the STRIPE_API_BASE."""

    def __init__(self, api_key: str = "sk_test_fake_key", webhook_secret: str = "whsec_test_fake_secret") -> None:
        self.api_key = api_key
        self.webhook_secret = webhook_secret
        self.webhook_url: str | None = None  # where the hosted page delivers its events (a real server)
        self.lock = threading.RLock()
        self.sessions: dict[str, dict[str, Any]] = {}
        self.charges: dict[str, dict[str, Any]] = {}  # by payment intent id
        self.payment_metadata: dict[str, dict[str, str]] = {}  # payment_intent_data.metadata, by session id
        self.idempotent: dict[str, Response] = {}  # a POST's answer by its Idempotency-Key, replayed as Stripe does
        self.requests: list[StripeRequest] = []
        self.deliveries: list[httpx.Response] = []
        self.failures: list[tuple[int, dict[str, Any]]] = []
        self._url: str | None = None
        self._stack = ExitStack()

    def __enter__(self) -> FakeStripe:
        self._url = self._stack.enter_context(run_asgi_in_thread(asgi_app(self._dispatch)))
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stack.close()
        self._url = None

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("FakeStripe is not serving (use it in a `with` block)")
        return self._url

    def fail_next(self, status: int, message: str = "An unknown error occurred", *, times: int = 1) -> None:
        """Answer the next `times` API requests with this error (5xx: the SDK retries them)."""
        kind = "api_error" if status >= 500 else "invalid_request_error"
        with self.lock:
            self.failures += [(status, wire.error_body(message, kind=kind))] * times

    def created_sessions(self) -> list[dict[str, Any]]:
        """The forms of every Checkout Session create request, oldest first."""
        return [r.form for r in self.requests if (r.method, r.path) == ("POST", "/v1/checkout/sessions")]

    # --- moving a payment along; each returns the event Stripe would send ---------------------------

    def complete(self, session_id: str, *, delayed: bool = False) -> dict[str, Any]:
        """The payer finished checkout: paid by card, or (delayed) by a bank debit still processing."""
        with self.lock:
            session = self.sessions[session_id]
            session["status"] = "complete"
            session["payment_intent"] = session["payment_intent"] or wire.stripe_id("pi")
            session["customer_details"] = {"email": "payer@example.com", "name": "Pat Payer"}
            if not delayed:
                self._pay(session)
            return wire.event("checkout.session.completed", session)

    def async_payment_succeeded(self, session_id: str) -> dict[str, Any]:
        with self.lock:
            session = self.sessions[session_id]
            self._pay(session)
            return wire.event("checkout.session.async_payment_succeeded", session)

    def async_payment_failed(self, session_id: str) -> dict[str, Any]:
        with self.lock:
            return wire.event("checkout.session.async_payment_failed", self.sessions[session_id])

    def expire(self, session_id: str) -> dict[str, Any]:
        with self.lock:
            session = self.sessions[session_id]
            session["status"] = "expired"
            return wire.event("checkout.session.expired", session)

    def refund(self, session_id: str, cents: int) -> dict[str, Any]:
        """Refund part of a paid session; the charge's amount_refunded is the running total, as Stripe's is."""
        with self.lock:
            charge = self.charges[self.sessions[session_id]["payment_intent"]]
            previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
            charge["amount_refunded"] = min(charge["amount"], charge["amount_refunded"] + cents)
            charge["refunded"] = charge["amount_refunded"] == charge["amount"]
            return wire.event("charge.refunded", charge, previous)

    def _pay(self, session: dict[str, Any]) -> None:
        session["payment_status"] = "paid"
        metadata = self.payment_metadata.get(session["id"], {})
        self.charges[session["payment_intent"]] = wire.charge(session, session["payment_intent"], metadata)

    def signed(self, event: dict[str, Any], *, timestamp: int | None = None) -> tuple[bytes, str]:
        """The event's body and Stripe-Signature (the SDK's signer, this fake's webhook secret)."""
        return wire.signed(event, self.webhook_secret, timestamp=timestamp)

    def signature_for(self, body: bytes, *, timestamp: int | None = None) -> str:
        """A valid Stripe-Signature for any body (for bodies that are not events)."""
        return wire.signature(body.decode("utf-8", errors="replace"), self.webhook_secret, timestamp=timestamp)

    def deliver(self, event: dict[str, Any]) -> httpx.Response:
        """POST the signed event to `webhook_url`, as Stripe delivers it."""
        assert self.webhook_url, "set webhook_url to the service's /webhooks/stripe first"
        body, signature = self.signed(event)
        headers = {"Content-Type": "application/json; charset=utf-8", "Stripe-Signature": signature}
        response = httpx.post(self.webhook_url, content=body, headers=headers, timeout=30)
        self.deliveries.append(response)
        return response

    # --- HTTP ----------------------------------------------------------------------------------------

    def _dispatch(self, request: Request) -> Response:
        matched = ROUTER.match(request.method, request.path)
        if matched is None:
            return json_response(wire.error_body(f"Unrecognized request URL ({request.method}: {request.path})"), 404)
        handler, groups = matched
        return handler(self, request, *groups)
