"""A delivery whose enqueue failed after it was stored is not lost: the requeue job processes it."""

from __future__ import annotations

from typing import Any

import httpx
from asgi_lifespan import LifespanManager

from app.app import create_app
from app.db.models import WebhookDelivery
from app.queue import InProcessJobQueue, load_in_process_jobs
from app.runtime import build_runtime
from app.settings import Settings
from jobs.tasks import requeue_unfinished
from tests.conftest import Service
from tests.support.webhook_examples import load_example
from tests.webhooks.helpers import deliveries

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1: every enqueue fails


async def test_delivery_survives_a_queue_outage(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"redis_url": DEAD_REDIS}))
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://contextjson.test") as client,
    ):
        service = Service(app=app, client=client)
        resp = await service.send_webhook("ping", load_example("ping"), delivery_id="during-outage")
        assert resp.status_code == 202  # stored and committed, so GitHub must not redeliver
        [stored] = await deliveries(service)
        assert stored.status == "pending"

    runtime = build_runtime(settings)
    ctx: dict[str, Any] = {"runtime": runtime}
    runtime.queue = queue = InProcessJobQueue(load_in_process_jobs(), ctx)
    try:
        assert await requeue_unfinished(ctx, older_than_seconds=0) == 1
        await queue.drain()
        async with runtime.sessions() as session:
            row = await session.get(WebhookDelivery, stored.id)
            assert row is not None and row.status == "processed"
        assert await requeue_unfinished(ctx, older_than_seconds=0) == 0
    finally:
        await runtime.close()
