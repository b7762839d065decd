"""POST /webhooks/github: signatures, malformed bodies, redelivery."""

from __future__ import annotations

import json

from app.db.models import WebhookDelivery
from tests.conftest import Service
from tests.support.problems import assert_problem
from tests.support.webhook_examples import load_example, sign_payload
from tests.webhooks.helpers import count, deliveries


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
    headers = {
        "X-GitHub-Event": "ping",
        "X-GitHub-Delivery": "d-bad-json",
        "X-Hub-Signature-256": sign_payload("test-webhook-secret", body),
    }
    resp = await service.client.post("/webhooks/github", content=body, headers=headers)
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
    await service.drain_jobs()
    [stored] = await deliveries(service)
    assert (stored.delivery_id, stored.event, stored.status) == ("ping-1", "ping", "processed")


async def test_redelivery_is_acknowledged_and_processed_once(service: Service) -> None:
    payload = load_example("ping")
    first = await service.send_webhook("ping", payload, delivery_id="same-id")
    second = await service.send_webhook("ping", payload, delivery_id="same-id")
    assert first.status_code == 202
    assert second.status_code == 200 and second.json()["status"] == "duplicate"
    await service.drain_jobs()
    [stored] = await deliveries(service)
    assert stored.attempts == 1 and stored.status == "processed"


async def test_oversized_body_is_413(service: Service) -> None:
    body = b'{"pad": "' + b"x" * (26 * 1024 * 1024 + 10) + b'"}'
    headers = {
        "X-GitHub-Event": "ping",
        "X-GitHub-Delivery": "big",
        "X-Hub-Signature-256": sign_payload("test-webhook-secret", body),
    }
    resp = await service.client.post("/webhooks/github", content=body, headers=headers)
    assert_problem(resp, 413, "http.payload_too_large")
    assert await count(service, WebhookDelivery) == 0
