"""Stripe's wire formats for the fake: the SDK's form encoding, and objects and events as Stripe sends them.

Objects carry the fields of Stripe's API reference (checkout.session, charge, event) that a webhook
consumer reads; values follow Stripe's conventions (ids with their prefixes, amounts in cents, epoch
seconds, `livemode: false` for test keys).
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any
from urllib.parse import parse_qsl

import stripe

API_VERSION = "2026-10-28.endive"  # what stripe-python 16 pins (stripe._api_version)


def stripe_id(prefix: str) -> str:
    """An id in Stripe's style (`cs_test_a1B2…`, `evt_1Q…`)."""
    return f"{prefix}_{secrets.token_hex(12)}"


def decode_form(body: bytes) -> dict[str, Any]:
    """`line_items[0][price_data][unit_amount]=500&metadata[a]=b` → nested dicts and lists, as Stripe reads it."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(body.decode(), keep_blank_values=True):
        parts = key.replace("]", "").split("[")
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return _lists(root)


def _lists(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    items = {k: _lists(v) for k, v in node.items()}
    if items and all(k.isdigit() for k in items):
        return [items[k] for k in sorted(items, key=int)]
    return items


def error_body(message: str, *, kind: str = "invalid_request_error", param: str | None = None) -> dict[str, Any]:
    """Stripe's error shape."""
    error: dict[str, Any] = {"type": kind, "message": message}
    if param is not None:
        error["param"] = param
    return {"error": error}


def checkout_session(form: dict[str, Any], *, checkout_base: str) -> dict[str, Any]:
    """A new Checkout Session (status open, unpaid) for a validated create request."""
    session_id = stripe_id("cs_test")
    item = form["line_items"][0]
    amount = int(item["price_data"]["unit_amount"]) * int(item.get("quantity", 1))
    now = int(time.time())
    return {
        "id": session_id,
        "object": "checkout.session",
        "amount_subtotal": amount,
        "amount_total": amount,
        "cancel_url": form.get("cancel_url"),
        "client_reference_id": form.get("client_reference_id"),
        "created": now,
        "currency": item["price_data"]["currency"],
        "customer": None,
        "customer_details": None,
        "expires_at": now + 24 * 3600,
        "livemode": False,
        "metadata": form.get("metadata", {}),
        "mode": form["mode"],
        "payment_intent": None,
        "payment_method_types": ["card"],
        "payment_status": "unpaid",
        "status": "open",
        "success_url": form.get("success_url"),
        "url": f"{checkout_base}/c/pay/{session_id}",
    }


def charge(session: dict[str, Any], payment_intent: str, metadata: dict[str, str]) -> dict[str, Any]:
    """The succeeded card charge that paid a session."""
    return {
        "id": stripe_id("ch"),
        "object": "charge",
        "amount": session["amount_total"],
        "amount_captured": session["amount_total"],
        "amount_refunded": 0,
        "captured": True,
        "created": int(time.time()),
        "currency": session["currency"],
        "livemode": False,
        "metadata": metadata,
        "paid": True,
        "payment_intent": payment_intent,
        "refunded": False,
        "status": "succeeded",
    }


def event(kind: str, obj: dict[str, Any], previous: dict[str, Any] | None = None) -> dict[str, Any]:
    """A v1 snapshot event wrapping a copy of `obj`."""
    data: dict[str, Any] = {"object": json.loads(json.dumps(obj))}
    if previous is not None:
        data["previous_attributes"] = previous
    return {
        "id": stripe_id("evt"),
        "object": "event",
        "api_version": API_VERSION,
        "created": int(time.time()),
        "data": data,
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": kind,
    }


def signed(evt: dict[str, Any], secret: str, *, timestamp: int | None = None) -> tuple[bytes, str]:
    """The body Stripe would POST (pretty-printed JSON) and its Stripe-Signature, made by the SDK's own signer."""
    payload = json.dumps(evt, indent=2)
    return payload.encode(), signature(payload, secret, timestamp=timestamp)


def signature(payload: str, secret: str, *, timestamp: int | None = None) -> str:
    """`t=<timestamp>,v1=<HMAC-SHA256 of "t.payload">`, from stripe.WebhookSignature (the SDK's test helper)."""
    return stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp=timestamp)
