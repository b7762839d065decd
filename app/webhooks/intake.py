"""Receiving a webhook: verify the signature, parse the envelope, store it once."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import AppError, BadRequest, Unauthorized
from app.webhooks import repository
from github_app import verify_signature

log = logging.getLogger("contextjson.webhooks")


class WebhookNotConfigured(AppError):
    status_code = 503
    code = "webhooks.not_configured"
    title = "Webhooks are not configured"


@dataclass(frozen=True)
class Receipt:
    delivery_pk: int | None  # None: a redelivery of something already stored
    delivery_id: str
    event: str


def _envelope(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(f"body is not valid JSON: {exc}", code="webhooks.malformed_json") from exc
    if not isinstance(payload, dict):
        raise BadRequest("body must be a JSON object", code="webhooks.malformed_json")
    return payload


def _installation_id(payload: dict[str, Any]) -> int | None:
    installation = payload.get("installation")
    if isinstance(installation, dict) and isinstance(installation.get("id"), int):
        return int(installation["id"])
    return None


async def receive_github_delivery(
    session: AsyncSession, *, secret: str | None, headers: dict[str, str], body: bytes
) -> Receipt:
    """Verify and store one GitHub delivery (flushes; the caller commits and enqueues)."""
    if not secret:
        raise WebhookNotConfigured("GITHUB_WEBHOOK_SECRET is not set; webhooks cannot be verified")
    if not verify_signature(secret, body, headers.get("x-hub-signature-256")):
        raise Unauthorized("missing or invalid X-Hub-Signature-256", code="webhooks.bad_signature")
    event = headers.get("x-github-event")
    delivery_id = headers.get("x-github-delivery")
    if not event or not delivery_id:
        raise BadRequest("X-GitHub-Event and X-GitHub-Delivery headers are required", code="webhooks.headers")
    payload = _envelope(body)
    action = payload.get("action") if isinstance(payload.get("action"), str) else None
    # X-GitHub-Delivery is not signed: a captured body replayed under a new id is refused by its digest.
    digest = hashlib.sha256(body).hexdigest()
    pk = await repository.insert_delivery(
        session,
        delivery_id=delivery_id[:200],
        event=event[:100],
        action=action,
        installation_id=_installation_id(payload),
        payload=body.decode("utf-8"),
        body_sha256=digest,
    )
    if pk is None:
        first = await repository.delivery_id_of_body(session, digest)
        if first is not None and first != delivery_id[:200]:
            log.warning("github.delivery.replayed delivery=%s first_delivery=%s", delivery_id[:200], first)
    return Receipt(delivery_pk=pk, delivery_id=delivery_id, event=event)
