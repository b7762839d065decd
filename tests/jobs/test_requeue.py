"""Work whose enqueue failed after it was stored is not lost: the requeue (cron, or `serve` starting) runs it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from app import outbox
from app.clients import build_clients
from app.db.models import OutboxJob, WebhookDelivery
from app.jobs_catalog import (
    JOB_NAMES,
    JOB_REQUEUE_UNFINISHED,
    check_context_file_job,
    generate_job,
    process_delivery_job,
    sync_installation_job,
)
from app.queue import ArqJobQueue, InProcessJobQueue, load_in_process_jobs
from app.settings import Settings
from jobs.registry import JOB_FUNCTIONS
from jobs.tasks import process_delivery, requeue_unfinished
from tests.conftest import Service, running_service
from tests.links.helpers import install_repo
from tests.support.payloads import push_payload
from tests.support.webhook_examples import load_example
from tests.webhooks.helpers import VALID_CONTEXT, count, deliveries

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1: every enqueue fails


async def test_delivery_survives_a_queue_outage(settings: Settings) -> None:
    async with running_service(settings.model_copy(update={"redis_url": DEAD_REDIS})) as service:
        resp = await service.send_webhook("ping", load_example("ping"), delivery_id="during-outage")
        assert resp.status_code == 202  # stored and committed, so GitHub must not redeliver
        [stored] = await deliveries(service)
        assert stored.status == "pending"

    clients = build_clients(settings)
    ctx: dict[str, Any] = {}
    clients.queue = queue = InProcessJobQueue(load_in_process_jobs(), ctx)
    ctx.update(clients.job_context())
    try:
        assert await requeue_unfinished(ctx, older_than_seconds=0) == 1
        await queue.drain()
        async with clients.sessions() as session:
            row = await session.get(WebhookDelivery, stored.id)
            assert row is not None and row.status == "processed"
        assert await requeue_unfinished(ctx, older_than_seconds=0) == 0
    finally:
        await clients.close()


async def test_serve_without_redis_resumes_what_the_last_process_left(settings: Settings) -> None:
    """In-process jobs die with their process: the next `serve` queues stored deliveries and follow-ups again."""
    async with running_service(settings.model_copy(update={"redis_url": DEAD_REDIS})) as service:
        assert (await service.send_webhook("ping", load_example("ping"))).status_code == 202
        async with service.clients.sessions() as session:  # a follow-up committed, never dispatched
            await outbox.stage(session, [check_context_file_job(404, None, None)])
            await session.commit()

    async with running_service(settings) as service:  # the next process
        await service.drain_jobs()
        assert [d.status for d in await deliveries(service)] == ["processed"]
        assert await count(service, OutboxJob) == 0


async def test_serve_without_redis_requeues_periodically_too(settings: Settings) -> None:
    """Work another process stored but could not queue is picked up by a running `serve` within a round."""
    periodic = settings.model_copy(update={"requeue_interval_seconds": 1, "requeue_after_seconds": 0})
    async with running_service(periodic) as serving:
        async with running_service(settings.model_copy(update={"redis_url": DEAD_REDIS})) as other:
            assert (await other.send_webhook("ping", load_example("ping"))).status_code == 202
        deadline = asyncio.get_running_loop().time() + 15
        while [d.status for d in await deliveries(serving)] != ["processed"]:
            assert asyncio.get_running_loop().time() < deadline, "the stored delivery was never requeued"
            await asyncio.sleep(0.1)


def test_every_job_name_has_a_function_and_every_call_a_known_name() -> None:
    assert set(JOB_FUNCTIONS) == JOB_NAMES
    calls = [
        process_delivery_job(1),
        sync_installation_job(2),
        check_context_file_job(3, "main", None),
        generate_job("r"),
    ]
    assert {call.name for call in calls} == JOB_NAMES - {JOB_REQUEUE_UNFINISHED}
    assert [call.job_id for call in calls] == ["delivery:1", None, "check:3:main:None", "generate:r"]


async def test_a_follow_up_survives_a_queue_outage_after_its_commit(
    service: Service, settings: Settings, fake_github: Any
) -> None:
    """The push is processed and committed, then Redis is gone: its check must still run once it is back."""
    installed = await install_repo(service, fake_github)
    runs_before = len(fake_github.check_runs)
    after = installed.repo.commit("main", {"context.json": VALID_CONTEXT})
    payload = push_payload(installed.repo, 5150, branch="main", before="0" * 40, after=after, modified=["context.json"])
    async with running_service(settings.model_copy(update={"redis_url": DEAD_REDIS})) as outage:  # web stores it...
        assert (await outage.send_webhook("push", payload)).status_code == 202
    [stored] = [d for d in await deliveries(service) if d.event == "push"]

    clients = build_clients(settings)  # ...and a worker processes it while its queue is unreachable
    clients.queue = ArqJobQueue(DEAD_REDIS)
    try:
        await process_delivery(clients.job_context(), stored.id)
    finally:
        await clients.close()
    assert [d.status for d in await deliveries(service) if d.id == stored.id] == ["processed"]
    assert len(fake_github.check_runs) == runs_before  # the check was asked for, but could not be queued

    assert await requeue_unfinished(service.job_context, older_than_seconds=0) == 1
    await service.drain_jobs()
    assert [run["head_sha"] for run in fake_github.check_runs[runs_before:]] == [after]
    assert await requeue_unfinished(service.job_context, older_than_seconds=0) == 0


async def test_a_job_that_loses_a_deadlock_is_retried_not_dropped(service: Service) -> None:
    from sqlalchemy.exc import DBAPIError, IntegrityError

    from app.queue import RetryJob
    from jobs.tasks import _unit_of_work

    class Deadlock(Exception):
        sqlstate = "40P01"  # what asyncpg reports for deadlock_detected

    ctx: dict[str, Any] = {**service.job_context, "job_try": 1}
    with pytest.raises(RetryJob):
        async with _unit_of_work(ctx):
            raise DBAPIError("UPDATE accounts …", {}, Deadlock())
    with pytest.raises(IntegrityError):  # a real error is not retried forever
        async with _unit_of_work(ctx):
            raise IntegrityError("INSERT …", {}, Exception("duplicate key"))
