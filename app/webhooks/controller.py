"""POST /webhooks/github: verify, store once, enqueue, answer 202. No GitHub call happens here."""

from __future__ import annotations

import logging

from litestar import Request, post
from litestar.di import NamedDependency
from litestar.response import Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.jobs_catalog import process_delivery_job
from app.runtime import Runtime
from app.webhooks.intake import receive_github_delivery

log = logging.getLogger("contextjson.webhooks")

GITHUB_WEBHOOK_MAX_BYTES = 26 * 1024 * 1024  # GitHub caps payloads at 25 MB


@post(
    "/webhooks/github",
    status_code=202,
    request_max_body_size=GITHUB_WEBHOOK_MAX_BYTES,
    summary="GitHub App webhook",
    description="Verifies X-Hub-Signature-256, stores the delivery once (by X-GitHub-Delivery) and queues it.",
)
async def github_webhook(
    request: Request, session: NamedDependency[AsyncSession], runtime: NamedDependency[Runtime]
) -> Response[dict[str, str]]:
    """Receive one GitHub delivery."""
    body = await request.body()
    receipt = await receive_github_delivery(
        session, secret=runtime.settings.github_webhook_secret, headers=dict(request.headers), body=body
    )
    if receipt.delivery_pk is None:
        return Response({"status": "duplicate", "delivery": receipt.delivery_id}, status_code=200)
    await session.commit()
    try:
        await runtime.require_queue().enqueue(process_delivery_job(receipt.delivery_pk))
    except Exception:
        # Stored and committed: the periodic requeue picks it up, so the delivery is not lost.
        log.exception("github.enqueue_failed delivery=%s", receipt.delivery_id)
    return Response({"status": "queued", "delivery": receipt.delivery_id}, status_code=202)
