"""The web process's job queue across a Redis restart: fails fast while Redis is away, works again at once after."""

from __future__ import annotations

import time

from arq.connections import RedisSettings, create_pool

from app.jobs_catalog import process_delivery_job
from app.queue import REDIS_UNAVAILABLE, ArqJobQueue
from tests.support.process import redis_server


async def queued_ids(url: str) -> set[str]:
    pool = await create_pool(RedisSettings.from_dsn(url))
    try:
        return {job.job_id for job in await pool.queued_jobs()}
    finally:
        await pool.aclose()


async def test_enqueue_fails_fast_during_an_outage_and_works_at_once_after_it() -> None:
    with redis_server() as redis:
        queue = ArqJobQueue(redis.url)
        try:
            await queue.enqueue(process_delivery_job(1))
            await queue.enqueue(process_delivery_job(2))  # pooled, idle connections

            redis.kill()
            for pk in (3, 4):
                started = time.monotonic()
                try:
                    await queue.enqueue(process_delivery_job(pk))
                except REDIS_UNAVAILABLE:
                    pass
                else:
                    raise AssertionError("enqueue succeeded without Redis")
                assert time.monotonic() - started < 3  # the webhook answer is not held up

            redis.start()  # empty: what was queued before is gone (the requeue cron restores it)
            # The first enqueue after the restart already works: connections from before it are not reused.
            await queue.enqueue(process_delivery_job(5))
            await queue.enqueue(process_delivery_job(6))
            assert await queued_ids(redis.url) == {"delivery:5", "delivery:6"}
        finally:
            await queue.close()


async def test_enqueue_after_a_restart_with_data_keeps_job_ids_unique() -> None:
    with redis_server() as redis:
        queue = ArqJobQueue(redis.url)
        try:
            await queue.enqueue(process_delivery_job(1))
            redis.shutdown_saving()
            redis.start()  # the queued job came back with the data

            await queue.enqueue(process_delivery_job(1))  # e.g. from the requeue cron
            await queue.enqueue(process_delivery_job(2))
            assert await queued_ids(redis.url) == {"delivery:1", "delivery:2"}
        finally:
            await queue.close()
