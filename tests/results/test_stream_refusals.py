"""A live stream that cannot be served is refused with a status before the stream starts, never mid-stream."""

from __future__ import annotations

from typing import Any

from redis import Redis as SyncRedis

from app.results.redis_broker import RedisBroker
from tests.conftest import Service
from tests.links.helpers import install_repo
from tests.results.broker_helpers import REDIS_URL
from tests.support.problems import assert_problem


async def test_too_many_watchers_is_a_503_not_a_broken_stream(
    service: Service, fake_github: Any, fake_llm: Any, redis_db: SyncRedis
) -> None:
    installed = await install_repo(service, fake_github)
    fake_llm.first_token_delay = 2.0  # the answer stays pending while we watch
    location = (await installed.click()).headers["location"]
    in_process = service.clients.broker
    service.clients.broker = RedisBroker(REDIS_URL, max_watchers=0)  # a process already at its cap
    try:
        for path, accept in ((f"{location}/stream", "application/json"), (location, "text/event-stream")):
            resp = await service.client.get(path, headers={"accept": accept})
            assert_problem(resp, 503, "stream.busy")  # not text/event-stream: refused before the stream starts
    finally:
        await service.clients.broker.close()
        service.clients.broker = in_process
    await service.drain_jobs()
