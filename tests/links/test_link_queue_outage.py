"""A first click while Redis is down still gets its answer page; the answer is made once the queue is back."""

from __future__ import annotations

from typing import Any

import httpx
from asgi_lifespan import LifespanManager

from app.app import create_app
from app.links.ratelimit import RedisRateLimiter
from app.settings import Settings
from jobs.tasks import requeue_unfinished
from tests.conftest import Service
from tests.jobs.test_requeue import DEAD_REDIS
from tests.links.helpers import install_repo


async def test_rate_limits_count_in_memory_while_redis_is_down() -> None:
    limiter = RedisRateLimiter(DEAD_REDIS, limit=2, window_seconds=3600)
    try:
        answers = [await limiter.hit("client:x") for _ in range(3)]
        assert answers[:2] == [None, None] and answers[2] is not None  # still limited, in this process
        assert await limiter.hit("client:y") is None
    finally:
        await limiter.close()


async def test_first_click_during_a_redis_outage(service: Service, fake_github: Any, settings: Settings) -> None:
    installed = await install_repo(service, fake_github)  # installed while everything was up
    app = create_app(settings.model_copy(update={"redis_url": DEAD_REDIS}))  # a replica that lost Redis
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://contextjson.test") as client,
    ):
        resp = await client.get("/acme/widgets/context/explain")
        assert resp.status_code == 303, resp.text
        pending = (await client.get(resp.headers["location"] + ".json")).json()
        assert pending["status"] == "pending"
    # The queue is back (here: the in-process one); the periodic requeue starts the stored answer.
    assert await requeue_unfinished(service.job_context, older_than_seconds=0) == 1
    await service.drain_jobs()
    done = (await service.client.get(resp.headers["location"] + ".json")).json()
    assert done["status"] == "done" and done["text"]
    assert len(await installed.debits()) == 1
