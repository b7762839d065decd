"""The job path through real Redis and a real arq worker (REDIS_URL set, as in production)."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
from arq.connections import RedisSettings, create_pool
from arq.worker import Worker

from app.clients import Clients, build_clients
from app.jobs_catalog import JOB_PROCESS_DELIVERY, JobCall
from app.queue import ArqJobQueue
from app.settings import Settings
from jobs.worker import arq_functions
from tests.conftest import Service, running_service
from tests.links.helpers import install_repo
from tests.support.payloads import installation_payload, push_payload
from tests.webhooks.helpers import VALID_CONTEXT, deliveries

# A dedicated database number: the tests flush it.
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
INSTALLATION_ID = 9001


@pytest.fixture
async def redis_settings() -> AsyncIterator[RedisSettings]:
    settings = RedisSettings.from_dsn(REDIS_URL)
    pool = await create_pool(settings)
    await pool.flushdb()
    yield settings
    await pool.flushdb()
    await pool.aclose()


@pytest.fixture
async def arq_service(settings: Settings, redis_settings: RedisSettings) -> AsyncIterator[Service]:
    """The web app with REDIS_URL set: webhooks are queued in Redis, not run in-process."""
    async with running_service(settings.model_copy(update={"redis_url": REDIS_URL})) as service:
        assert isinstance(service.clients.queue, ArqJobQueue)
        yield service


async def run_worker_until_idle(settings: Settings, redis_settings: RedisSettings) -> Clients:
    """Run a real arq worker in burst mode (it stops once the queue, follow-ups included, is empty)."""
    clients = build_clients(settings.model_copy(update={"redis_url": REDIS_URL}))
    clients.queue = ArqJobQueue(REDIS_URL)
    worker = Worker(
        functions=arq_functions(),
        redis_settings=redis_settings,
        burst=True,
        handle_signals=False,
        poll_delay=0.05,
        ctx=clients.job_context(),
        max_tries=3,
    )
    try:
        await worker.main()
        assert worker.jobs_failed == 0
    finally:
        await worker.close()
        await clients.close()
    return clients


async def _count_queued(redis_settings: RedisSettings) -> int:
    pool = await create_pool(redis_settings)
    try:
        return len(await pool.queued_jobs())
    finally:
        await pool.aclose()


async def test_webhooks_are_queued_in_redis_and_run_by_the_arq_worker(
    arq_service: Service, settings: Settings, redis_settings: RedisSettings, fake_github: Any
) -> None:
    repo = fake_github.add_repo("octocat", "queued", files={"README.md": "hi"})
    fake_github.add_installation(INSTALLATION_ID, "octocat", [repo.id])
    owner = fake_github.account("octocat")
    resp = await arq_service.send_webhook(
        "installation", installation_payload("created", INSTALLATION_ID, owner, [repo]), delivery_id="inst-1"
    )
    assert resp.status_code == 202
    before = repo.branches["main"]
    after = repo.commit("main", {"context.json": VALID_CONTEXT})
    push = push_payload(repo, INSTALLATION_ID, branch="main", before=before, after=after, added=["context.json"])
    assert (await arq_service.send_webhook("push", push, delivery_id="push-1")).status_code == 202
    assert (await arq_service.send_webhook("push", push, delivery_id="push-1")).status_code == 200  # redelivery

    # Nothing ran inside the web process: two jobs wait in Redis.
    assert await _count_queued(redis_settings) == 2
    assert fake_github.check_runs == []

    await run_worker_until_idle(settings, redis_settings)

    assert [d.status for d in await deliveries(arq_service)] == ["processed", "processed"]
    [run] = fake_github.check_runs
    assert (run["head_sha"], run["conclusion"]) == (after, "success")


async def test_running_a_delivery_job_twice_is_harmless(
    arq_service: Service, settings: Settings, redis_settings: RedisSettings, fake_github: Any
) -> None:
    repo = fake_github.add_repo("octocat", "twice", files={"context.json": VALID_CONTEXT})
    fake_github.add_installation(INSTALLATION_ID, "octocat", [repo.id])
    owner = fake_github.account("octocat")
    await arq_service.send_webhook("installation", installation_payload("created", INSTALLATION_ID, owner, [repo]))
    await run_worker_until_idle(settings, redis_settings)
    [delivery] = await deliveries(arq_service)

    # A second run of the same job (e.g. after a worker crash) changes nothing. No job id: arq would refuse
    # the first run's id while it keeps that run's result.
    await arq_service.clients.require_queue().enqueue(JobCall(JOB_PROCESS_DELIVERY, (delivery.id,)))
    await run_worker_until_idle(settings, redis_settings)
    [again] = await deliveries(arq_service)
    assert again.attempts == 1 and again.status == "processed"
    assert len(fake_github.check_runs) == 1


async def test_generation_runs_on_the_worker_and_streams_through_redis(
    arq_service: Service, settings: Settings, redis_settings: RedisSettings, fake_github: Any, fake_llm: Any
) -> None:
    installed = await install_repo(arq_service, fake_github, drain=False)
    await run_worker_until_idle(settings, redis_settings)  # processes the installation
    resp = await installed.click()
    assert resp.status_code == 303
    location = resp.headers["location"]
    # The web process only queued the job; a watcher subscribes before the worker starts streaming.
    watcher = asyncio.create_task(arq_service.client.get(location + "/stream"))
    await asyncio.sleep(0.2)
    await run_worker_until_idle(settings, redis_settings)
    stream = await asyncio.wait_for(watcher, 10)
    result = (await arq_service.client.get(location + ".json")).json()
    assert result["status"] == "done" and fake_llm.call_count == 1
    deltas = [json.loads(line[6:]) for line in stream.text.splitlines() if line.startswith('data: "')]
    assert "".join(deltas) == result["text"] and len(deltas) > 5  # token by token, relayed by Redis
    assert "event: done" in stream.text
