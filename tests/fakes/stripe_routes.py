"""The fake Stripe's HTTP routes: the Checkout Sessions API (as the SDK calls it) and the hosted checkout page."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any, NamedTuple

from tests.fakes import stripe_wire as wire
from tests.fakes.github_http import Request, Response, Router, json_response

if TYPE_CHECKING:
    from tests.fakes.stripe_fake import FakeStripe

ROUTER = Router()  # handlers are called with (fake, request, *path groups)


class StripeRequest(NamedTuple):
    """One API request the fake received, its form body decoded as Stripe decodes it."""

    method: str
    path: str
    form: dict[str, Any]
    headers: dict[str, str]


def _refused(fake: FakeStripe, request: Request) -> Response | None:
    """Records the API request; answers it here when the key is wrong or a failure was injected."""
    form = wire.decode_form(request.body) if request.method == "POST" else dict(request.query)
    with fake.lock:
        fake.requests.append(StripeRequest(request.method, request.path, form, request.headers))
        if request.headers.get("authorization") != f"Bearer {fake.api_key}":
            return json_response(wire.error_body("Invalid API Key provided: sk_test_****"), 401)
        if fake.failures:
            status, body = fake.failures.pop(0)
            return json_response(body, status)
    return None


@ROUTER.route("POST", r"/v1/checkout/sessions")
def create(fake: FakeStripe, request: Request) -> Response:
    refused = _refused(fake, request)
    if refused is not None:
        return refused
    key = request.headers.get("idempotency-key")
    with fake.lock:
        if key in fake.idempotent:  # a retry: Stripe answers what it answered the first time
            return fake.idempotent[key]
    form = wire.decode_form(request.body)
    problem = _invalid_session(form)
    if problem is not None:
        return json_response(wire.error_body(problem[1], param=problem[0]), 400)
    session = wire.checkout_session(form, checkout_base=fake.url)
    with fake.lock:
        fake.sessions[session["id"]] = session
        fake.payment_metadata[session["id"]] = form.get("payment_intent_data", {}).get("metadata", {})
        answer = json_response(session)
        if key:
            fake.idempotent[key] = answer
        return answer


@ROUTER.route("GET", r"/v1/checkout/sessions/([A-Za-z0-9_]+)")
def retrieve(fake: FakeStripe, request: Request, session_id: str) -> Response:
    refused = _refused(fake, request)
    if refused is not None:
        return refused
    with fake.lock:
        session = fake.sessions.get(session_id)
        if session is None:
            return json_response(wire.error_body(f"No such checkout.session: '{session_id}'", param="session"), 404)
        return json_response(session)


@ROUTER.route("GET", r"/c/pay/([A-Za-z0-9_]+)")
def page(fake: FakeStripe, request: Request, session_id: str) -> Response:
    """The hosted payment page a session's `url` leads to."""
    with fake.lock:
        session = fake.sessions.get(session_id)
    if session is None:
        return Response(404, b"no such checkout session", {"content-type": "text/plain"})
    pay = html.escape(f"Pay {session['amount_total'] / 100:.2f} {session['currency'].upper()}")
    body = (
        f"<!doctype html><title>Fake Stripe Checkout</title><h1>{pay}</h1>"
        f'<form method="post" action="/c/pay/{session_id}"><button id="pay">{pay}</button></form>'
    )
    return Response(200, body.encode(), {"content-type": "text/html; charset=utf-8"})


@ROUTER.route("POST", r"/c/pay/([A-Za-z0-9_]+)")
def pay(fake: FakeStripe, request: Request, session_id: str) -> Response:
    """Pays by card, delivers checkout.session.completed (when webhook_url is set), returns to success_url."""
    event = fake.complete(session_id)
    if fake.webhook_url:
        fake.deliver(event)
    target = str(fake.sessions[session_id]["success_url"]).replace("{CHECKOUT_SESSION_ID}", session_id)
    return Response(303, b"", {"location": target})


def _invalid_session(form: dict[str, Any]) -> tuple[str, str] | None:
    """(param, message) of the first thing Stripe would refuse in a payment-mode create request."""
    if form.get("mode") != "payment":
        return "mode", "This fake supports mode=payment only."
    items = form.get("line_items")
    if not isinstance(items, list) or len(items) != 1:
        return "line_items", "Pass exactly one line item."
    price = items[0].get("price_data") or {}
    if not str(price.get("unit_amount", "")).isdigit() or not price.get("currency"):
        return "line_items[0][price_data]", "price_data needs currency and an integer unit_amount."
    if price["currency"] == "usd" and int(price["unit_amount"]) < 50:
        return (
            "line_items[0][price_data][unit_amount]",
            "The Checkout Session's total amount must be at least $0.50 usd.",
        )
    if not form.get("success_url"):
        return "success_url", "Missing required param: success_url."
    return None
