"""POST /webhooks/github: verify, store once, enqueue, answer 202. No GitHub call happens here."""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Annotated, Any

from litestar import Request, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.response import Response
from msgspec import Meta, Struct
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import PayloadTooLarge
from app.github_source import AppGitHub
from app.jobs_catalog import process_delivery_job
from app.openapi import (
    documented,
    documented_body,
    header,
    header_parameters,
    problem_responses,
    request_example,
    response_example,
)
from app.queue import JobQueue
from app.settings import Settings
from app.webhooks.intake import WebhookNotConfigured, receive_github_delivery

log = logging.getLogger("contextjson.webhooks")

TOO_LARGE = "webhooks.too_large"


class ReceiptStatus(StrEnum):
    """What became of a delivery."""

    QUEUED = "queued"  # stored now, and queued for processing
    DUPLICATE = "duplicate"  # stored before (a redelivery, or the same body under another id): nothing new


class DeliveryReceipt(Struct):
    """The acknowledgement of a GitHub delivery."""

    status: ReceiptStatus
    delivery: Annotated[str, Meta(description="The delivery's X-GitHub-Delivery.")]


_PING_EXAMPLE = {"zen": "Keep it logically awesome.", "hook_id": 1, "installation": {"id": 77}}
_DELIVERY_ID = "72d3162e-cc78-11e3-81ab-4c9367dc0958"
_GITHUB_DOCS = documented(
    header_parameters(
        header("X-GitHub-Event", "The event's name (`installation`, `push`, …).", "ping"),
        header("X-GitHub-Delivery", "The delivery's id: a delivery is stored and processed once.", _DELIVERY_ID),
        header(
            "X-Hub-Signature-256",
            "`sha256=` and the HMAC-SHA256 of the body with GITHUB_WEBHOOK_SECRET, in hex.",
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
        ),
    ),
    request_example(_PING_EXAMPLE),
    response_example(202, {"status": "queued", "delivery": _DELIVERY_ID}),
    response_example(200, {"status": "duplicate", "delivery": _DELIVERY_ID}),
)


@post(
    "/github",
    status_code=202,
    request_max_body_size=None,  # WEBHOOK_MAX_BODY_BYTES applies instead (read_body), from this process's settings
    summary="GitHub App webhook",
    description="Verifies X-Hub-Signature-256, stores the delivery once (by X-GitHub-Delivery) and queues it.",
    response_description="Stored and queued.",
    responses={
        200: ResponseSpec(DeliveryReceipt, generate_examples=False, description="Stored before: nothing new queued."),
        **problem_responses(
            {
                400: ["webhooks.headers", "webhooks.malformed_json", "http.bad_request"],
                401: ["webhooks.bad_signature"],
                413: [TOO_LARGE],
                WebhookNotConfigured.status_code: [WebhookNotConfigured.code],
            }
        ),
    },
    # The payload as GitHub sends it (its shape depends on X-GitHub-Event); read raw, as the signature covers
    # the exact bytes.
    dependencies=documented_body(dict[str, Any]),
    operation_class=_GITHUB_DOCS,
)
async def github_webhook(
    request: Request,
    session: NamedDependency[AsyncSession],
    settings: NamedDependency[Settings],
    queue: NamedDependency[JobQueue],
    github: NamedDependency[AppGitHub],
) -> Response[DeliveryReceipt]:
    """Receive one GitHub delivery."""
    body = await read_body(request, settings.webhook_max_body_bytes)
    await github.ready()  # an App registered from the web (by this or another process) brings its secret
    receipt = await receive_github_delivery(
        session, secret=github.webhook_secret, headers=dict(request.headers), body=body
    )
    if receipt.delivery_pk is None:
        return Response(DeliveryReceipt(ReceiptStatus.DUPLICATE, receipt.delivery_id), status_code=200)
    await session.commit()
    try:
        await queue.enqueue(process_delivery_job(receipt.delivery_pk))
    except Exception:
        # Stored and committed: the periodic requeue picks it up, so the delivery is not lost.
        log.exception("github.enqueue_failed delivery=%s", receipt.delivery_id)
    return Response(DeliveryReceipt(ReceiptStatus.QUEUED, receipt.delivery_id), status_code=202)


async def read_body(request: Request, limit: int) -> bytes:
    """The request body; 413 as soon as its Content-Length or the bytes received exceed `limit`."""
    too_large = PayloadTooLarge(
        f"The body is larger than the limit of {limit} bytes (WEBHOOK_MAX_BODY_BYTES).", code=TOO_LARGE
    )
    if (request.content_length or 0) > limit:
        raise too_large
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)
