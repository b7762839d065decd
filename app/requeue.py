"""Queue again the work that was stored but never finished: a lost enqueue, a Redis outage, a crash.

Used by the workers' periodic cron job (jobs.requeue_unfinished) and by `serve` when it runs the jobs
itself: once at start (in-process jobs die with the process) and then every REQUEUE_INTERVAL_SECONDS, as
the workers do (a job that gave up on a passing failure is picked up again). A job that is in fact still
queued or running is not started twice: the calls carry the same job ids as the first enqueue.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import outbox
from app.completions.accounting import release_abandoned_calls
from app.jobs_catalog import generate_job, process_delivery_job
from app.queue import JobQueue
from app.results.repository import unfinished_result_ids
from app.webhooks.repository import stale_pending_ids

log = logging.getLogger("contextjson.jobs")
# An API call still open this long after it started has lost its process (no call lasts longer than the model
# API's total timeout, 10 minutes by default): its reservation is given back.
ABANDONED_CALL_AFTER = timedelta(minutes=30)


async def requeue_unfinished(sessions: async_sessionmaker[AsyncSession], queue: JobQueue, older_than: timedelta) -> int:
    """Enqueue the unfinished work stored at least `older_than` ago; returns how many jobs were enqueued.

    That is deliveries still pending, answers still pending or streaming, and follow-ups never dispatched
    (app.outbox).
    """
    async with sessions() as session:
        deliveries = await stale_pending_ids(session, older_than)
        results = await unfinished_result_ids(session, older_than)
        followups = await outbox.stale(session, older_than)
    sent = await outbox.dispatch(sessions, queue, followups)
    await release_abandoned_calls(sessions, max(older_than, ABANDONED_CALL_AFTER))
    for call in [*map(process_delivery_job, deliveries), *map(generate_job, results)]:
        await queue.enqueue(call)
    if deliveries or results or sent:
        log.info("jobs.requeue deliveries=%d results=%d followups=%d", len(deliveries), len(results), sent)
    return len(deliveries) + len(results) + sent


async def requeue_periodically(
    sessions: async_sessionmaker[AsyncSession], queue: JobQueue, *, interval: float, older_than: timedelta
) -> None:
    """Requeue work older than `older_than` every `interval` seconds, until cancelled."""
    while True:
        await asyncio.sleep(interval)
        try:
            await requeue_unfinished(sessions, queue, older_than)
        except Exception:  # the database may be away for a while: try again next round
            log.exception("jobs.requeue_failed")
