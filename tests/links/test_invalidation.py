"""Cross-replica link-cache invalidation: a change processed by a worker reaches every web process at once,
through Redis pub/sub, and the subscription survives a Redis restart."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
from arq.connections import RedisSettings
from asgi_lifespan import LifespanManager
from sqlalchemy import select

from app.app import create_app
from app.db.models import Account
from app.links.invalidation import Invalidation, InvalidationBus, RedisInvalidationBus
from app.links.resolve import LinkRequest
from app.settings import Settings
from tests.conftest import Service
from tests.jobs.test_arq_worker import REDIS_URL, redis_settings, run_worker_until_idle  # noqa: F401 (fixture)
from tests.links.helpers import INSTALLATION_ID, Installed, install_repo
from tests.support.process import RedisServer, redis_server
from tests.webhooks.repo_payloads import repository_payload


class Recorder:
    """Stands in for a web process's LinkResolver."""

    def __init__(self) -> None:
        self.repos: list[tuple[str, str]] = []
        self.results: list[str] = []
        self.everything = 0  # forget_all calls

    def forget_repo(self, owner: str, repo: str) -> None:
        self.repos.append((owner, repo))

    def forget_result(self, result_id: str) -> None:
        self.results.append(result_id)

    def forget_all(self) -> None:
        self.everything += 1


@pytest.fixture
async def replicas(settings: Settings, redis_settings: RedisSettings) -> AsyncIterator[tuple[Service, Service]]:  # noqa: F811
    """Two web processes sharing the database and Redis; links stay cached for an hour unless told."""
    shared = settings.model_copy(update={"redis_url": REDIS_URL, "link_cache_ttl_seconds": 3600})
    async with AsyncExitStack() as stack:
        services = []
        for _ in range(2):
            app = create_app(shared)
            await stack.enter_async_context(LifespanManager(app))
            transport = httpx.ASGITransport(app=app)
            client = await stack.enter_async_context(
                httpx.AsyncClient(transport=transport, base_url="http://contextjson.test")
            )
            services.append(Service(app=app, client=client))
        yield services[0], services[1]


async def test_privatized_drops_a_link_cached_by_another_replica_at_once(
    replicas: tuple[Service, Service],
    settings: Settings,
    redis_settings: RedisSettings,  # noqa: F811
    fake_github: Any,
) -> None:
    web_a, web_b = replicas
    worker_settings = settings.model_copy(update={"link_cache_ttl_seconds": 3600})
    installed = await install_repo(web_a, fake_github, drain=False)
    await run_worker_until_idle(worker_settings, redis_settings)  # the jobs run in neither web process
    on_b = Installed(web_b, fake_github, installed.repo)
    first = await on_b.click()
    assert first.status_code == 303
    await run_worker_until_idle(worker_settings, redis_settings)
    assert (await on_b.click()).headers["location"] == first.headers["location"]  # served from b's memory

    fake_github.edit_repo(installed.repo, private=True)
    payload = repository_payload("privatized", installed.repo, INSTALLATION_ID)
    assert (await web_a.send_webhook("repository", payload)).status_code == 202
    await run_worker_until_idle(worker_settings, redis_settings)

    async def stopped_redirecting() -> bool:
        return (await on_b.click()).status_code != 303

    await _eventually(stopped_redirecting, seconds=3)  # the TTL is an hour: only the announcement can do it
    link = await on_b.click()  # private now: to an anonymous visitor, as if it did not exist
    assert link.status_code == 404 and "does not know acme/widgets" in link.text


async def test_a_change_is_announced_only_when_its_transaction_commits(service: Service) -> None:
    bus = InvalidationBus()
    recorder = Recorder()
    bus.attach(recorder)
    async with service.clients.sessions() as session:
        bus.forget_after_commit(session, repos=[("acme", "rolled-back")])
        await session.execute(select(Account))
        await session.rollback()
        bus.forget_after_commit(session, repos=[("acme", "widgets")], results=["r1"])
        assert recorder.repos == []  # not yet: another process could still read the old state
        await session.commit()
    assert (recorder.repos, recorder.results) == ([("acme", "widgets")], ["r1"])


@pytest.fixture
def private_redis() -> Iterator[RedisServer]:
    with redis_server() as server:
        yield server


async def _eventually(condition: Callable[[], bool | Awaitable[bool]], seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    for _ in itertools.count():
        outcome = condition()
        if outcome if isinstance(outcome, bool) else await outcome:
            return
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_the_subscriber_survives_a_redis_restart(private_redis: RedisServer) -> None:
    url = private_redis.url
    subscriber, publisher, recorder = RedisInvalidationBus(url), RedisInvalidationBus(url), Recorder()
    subscriber.attach(recorder)
    try:
        await subscriber.start(ready_timeout=10)
        await publisher.publish(Invalidation(repos=[("acme", "before")]))
        await _eventually(lambda: recorder.repos == [("acme", "before")])

        private_redis.kill()
        await _eventually(lambda: not subscriber.subscribed)
        await publisher.publish(Invalidation(repos=[("acme", "while-down")]))  # logged and dropped, no crash
        forgot_all = recorder.everything
        private_redis.start()
        await _eventually(lambda: subscriber.subscribed)
        assert recorder.everything == forgot_all + 1  # what was missed meanwhile is forgotten wholesale

        await publisher.publish(Invalidation(results=["after-restart"]))
        await _eventually(lambda: recorder.results == ["after-restart"])
    finally:
        await subscriber.close()
        await publisher.close()


async def test_a_lookup_in_flight_during_a_forget_does_not_cache_its_answer(service: Service, fake_github: Any) -> None:
    """It may have read the state the forget was about; its caller gets the answer, the cache does not."""
    installed = await install_repo(service, fake_github)
    installed.repo.commit("other", {"src/x.py": "x = 1\n"})  # a branch the service has not seen yet
    server = service.app.state.link_resolver
    key = ("acme", "widgets", "other", "explain")
    with fake_github.lock:  # GitHub answers nothing until released: the lookup waits on it
        lookup = asyncio.create_task(server.resolve(key, LinkRequest("acme", "widgets", "other", "explain", "c")))
        await _eventually(lambda: bool(fake_github.find_requests("GET", r"/branches/other$")))
        server.forget_repo("acme", "widgets")
    result_id = (await lookup).result_id
    await service.drain_jobs()
    assert service.app.state.link_resolver.cache.lookup(key) == (None, False)
    again = await installed.click("/tree/other/context/explain")  # looked up afresh, and cached this time
    assert again.headers["location"] == f"/r/{result_id}"
    assert service.app.state.link_resolver.cache.lookup(key) == (result_id, True)
