"""Cross-replica link-cache invalidation: a change processed by a worker reaches every web process at once,
through Redis pub/sub, and the subscription survives a Redis restart."""

from __future__ import annotations

import asyncio
import itertools
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from arq.connections import RedisSettings
from asgi_lifespan import LifespanManager
from sqlalchemy import select

from app.app import create_app
from app.db.models import Account
from app.links.invalidation import Invalidation, InvalidationBus, RedisInvalidationBus
from app.settings import Settings
from tests.conftest import Service
from tests.jobs.test_arq_worker import REDIS_URL, redis_settings, run_worker_until_idle  # noqa: F401 (fixture)
from tests.links.helpers import INSTALLATION_ID, Installed, install_repo
from tests.support.process import free_port, stop_process
from tests.webhooks.repo_payloads import repository_payload


class Recorder:
    """Stands in for a web process's LinkServer."""

    def __init__(self) -> None:
        self.repos: list[tuple[str, str]] = []
        self.results: list[str] = []

    def forget_repo(self, owner: str, repo: str) -> None:
        self.repos.append((owner, repo))

    def forget_result(self, result_id: str) -> None:
        self.results.append(result_id)


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
    link = await on_b.click()
    assert link.status_code == 403 and "private" in link.text


async def test_a_change_is_announced_only_when_its_transaction_commits(service: Service) -> None:
    bus = InvalidationBus()
    recorder = Recorder()
    bus.attach(recorder)
    async with service.runtime.sessions() as session:
        bus.forget_after_commit(session, repos=[("acme", "rolled-back")])
        await session.execute(select(Account))
        await session.rollback()
        bus.forget_after_commit(session, repos=[("acme", "widgets")], results=["r1"])
        assert recorder.repos == []  # not yet: another process could still read the old state
        await session.commit()
    assert (recorder.repos, recorder.results) == ([("acme", "widgets")], ["r1"])


class PrivateRedis:
    """A redis-server of this test's own, which it may stop and start again on the same port."""

    def __init__(self, workdir: Path) -> None:
        self.port, self._workdir = free_port(), workdir
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        cmd = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self._proc = subprocess.Popen(cmd, cwd=self._workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            stop_process(self._proc)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


async def _eventually(condition: Callable[[], bool | Awaitable[bool]], seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    for _ in itertools.count():
        outcome = condition()
        if outcome if isinstance(outcome, bool) else await outcome:
            return
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_the_subscriber_survives_a_redis_restart(private_redis: PrivateRedis) -> None:
    url = f"redis://127.0.0.1:{private_redis.port}/3"
    subscriber, publisher, recorder = RedisInvalidationBus(url), RedisInvalidationBus(url), Recorder()
    subscriber.attach(recorder)
    try:
        await subscriber.start(ready_timeout=10)
        await publisher.publish(Invalidation(repos=[("acme", "before")]))
        await _eventually(lambda: recorder.repos == [("acme", "before")])

        private_redis.stop()
        await _eventually(lambda: not subscriber.subscribed)
        await publisher.publish(Invalidation(repos=[("acme", "while-down")]))  # logged and dropped, no crash
        private_redis.start()
        await _eventually(lambda: subscriber.subscribed)

        await publisher.publish(Invalidation(results=["after-restart"]))
        await _eventually(lambda: recorder.results == ["after-restart"])
    finally:
        await subscriber.close()
        await publisher.close()
