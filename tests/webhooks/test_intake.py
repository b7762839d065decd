"""POST /webhooks/github: signatures, malformed bodies, redelivery."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from app.db.models import WebhookDelivery
from tests.conftest import Service
from tests.support.openapi import assert_matches_component
from tests.support.problems import assert_problem
from tests.support.webhook_examples import load_example, sign_payload
from tests.webhooks.helpers import count, deliveries


def _signed_ping(body: bytes, delivery_id: str) -> dict[str, str]:
    return {
        "X-GitHub-Event": "ping",
        "X-GitHub-Delivery": delivery_id,
        "X-Hub-Signature-256": sign_payload("test-webhook-secret", body),
    }


async def test_missing_signature_is_401_and_stores_nothing(service: Service) -> None:
    resp = await service.send_webhook("ping", load_example("ping"), signature="")
    assert_problem(resp, 401, "webhooks.bad_signature")
    assert await count(service, WebhookDelivery) == 0


async def test_wrong_signature_is_401_and_stores_nothing(service: Service) -> None:
    resp = await service.send_webhook("ping", load_example("ping"), secret="not-the-secret")
    assert resp.status_code == 401
    assert await count(service, WebhookDelivery) == 0


async def test_signature_over_a_different_body_is_401(service: Service) -> None:
    other = sign_payload("test-webhook-secret", b"{}")
    resp = await service.send_webhook("ping", load_example("ping"), signature=other)
    assert resp.status_code == 401


async def test_malformed_json_with_valid_signature_is_400(service: Service) -> None:
    body = b'{"zen": "unterminated'
    resp = await service.client.post("/webhooks/github", content=body, headers=_signed_ping(body, "d-bad-json"))
    assert_problem(resp, 400, "webhooks.malformed_json")
    assert await count(service, WebhookDelivery) == 0


async def test_missing_delivery_header_is_400(service: Service) -> None:
    body = json.dumps(load_example("ping")).encode()
    headers = {"X-GitHub-Event": "ping", "X-Hub-Signature-256": sign_payload("test-webhook-secret", body)}
    resp = await service.client.post("/webhooks/github", content=body, headers=headers)
    assert resp.status_code == 400


async def test_ping_is_accepted_and_processed(service: Service) -> None:
    resp = await service.send_webhook("ping", load_example("ping"), delivery_id="ping-1")
    assert resp.status_code == 202
    assert resp.json() == {"status": "queued", "delivery": "ping-1"}
    assert_matches_component(resp.json(), "DeliveryReceipt")
    await service.drain_jobs()
    [stored] = await deliveries(service)
    assert (stored.delivery_id, stored.event, stored.status) == ("ping-1", "ping", "processed")


async def test_redelivery_is_acknowledged_and_processed_once(service: Service) -> None:
    payload = load_example("ping")
    first = await service.send_webhook("ping", payload, delivery_id="same-id")
    second = await service.send_webhook("ping", payload, delivery_id="same-id")
    assert first.status_code == 202
    assert second.status_code == 200 and second.json() == {"status": "duplicate", "delivery": "same-id"}
    assert_matches_component(second.json(), "DeliveryReceipt")
    await service.drain_jobs()
    [stored] = await deliveries(service)
    assert stored.attempts == 1 and stored.status == "processed"


async def test_oversized_body_is_413(service: Service) -> None:
    body = b'{"pad": "' + b"x" * (26 * 1024 * 1024 + 10) + b'"}'
    resp = await service.client.post("/webhooks/github", content=body, headers=_signed_ping(body, "big"))
    assert_problem(resp, 413, "webhooks.too_large")
    assert await count(service, WebhookDelivery) == 0


async def test_the_configured_body_limit_applies_and_is_named(service: Service) -> None:
    service.clients.settings.webhook_max_body_bytes = 1000  # WEBHOOK_MAX_BODY_BYTES=1000
    small = json.dumps({"zen": "x" * 900, "hook_id": 1}).encode()
    accepted = await service.client.post("/webhooks/github", content=small, headers=_signed_ping(small, "small"))
    assert accepted.status_code == 202

    body = json.dumps({"zen": "x" * 1000, "hook_id": 1}).encode()
    resp = await service.client.post("/webhooks/github", content=body, headers=_signed_ping(body, "over"))
    assert resp.status_code == 413
    assert "limit of 1000 bytes" in resp.text and "WEBHOOK_MAX_BODY_BYTES" in resp.text
    assert await count(service, WebhookDelivery) == 1


async def test_a_chunked_body_is_held_to_the_limit(service: Service) -> None:
    """No Content-Length to refuse early on: the bytes received are counted."""
    service.clients.settings.webhook_max_body_bytes = 1000

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(3):
            yield b"x" * 500

    resp = await service.client.post("/webhooks/github", content=chunks(), headers=_signed_ping(b"", "chunked"))
    assert resp.status_code == 413
    assert await count(service, WebhookDelivery) == 0
