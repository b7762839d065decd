"""arq WorkerSettings: `contextjson worker` runs these against REDIS_URL, reconnecting when Redis goes away."""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from arq import Retry, cron
from arq.connections import RedisSettings
from arq.cron import CronJob
from arq.worker import Function, Worker, create_worker, func

from app.clients import build_clients
from app.jobs_catalog import JOB_REQUEUE_UNFINISHED
from app.queue import ArqJobQueue, JobFunction, RetryJob
from app.settings import Settings, get_settings
from jobs import tasks
from jobs.health import HEALTH_CHECK_INTERVAL_SECONDS, worker_health_key
from jobs.registry import JOB_FUNCTIONS
from jobs.supervisor import supervise

# The context key of the clients' closer (jobs read the clients themselves, by name).
_CLOSE_CLIENTS = "close_clients"


def _as_arq_job(fn: JobFunction) -> JobFunction:
    """One of our jobs as arq runs it: the App picked up if registered meanwhile, our RetryJob as arq's Retry."""

    @functools.wraps(fn)
    async def wrapper(ctx: dict[str, Any], *args: Any) -> Any:
        await ctx["github"].ready()  # a worker started before the App was registered from the web picks it up
        try:
            return await fn(ctx, *args)
        except RetryJob as exc:
            raise Retry(defer=exc.defer_seconds) from exc

    return wrapper


def arq_functions() -> list[Function]:
    """The job table as arq Functions (the requeue job runs as a cron job instead)."""
    wrapped = {name: _as_arq_job(fn) for name, fn in JOB_FUNCTIONS.items() if name != JOB_REQUEUE_UNFINISHED}
    return [func(fn, name=name) for name, fn in wrapped.items()]  # type: ignore[arg-type]


async def startup(ctx: dict[str, Any]) -> None:
    """Build this worker's clients and put each in the job context by name; follow-ups use arq's Redis pool."""
    settings = get_settings()
    clients = build_clients(settings)
    clients.queue = ArqJobQueue(settings.redis_url or "", pool=ctx["redis"])
    ctx.update(clients.job_context())
    ctx[_CLOSE_CLIENTS] = clients.close


async def shutdown(ctx: dict[str, Any]) -> None:
    close = ctx.pop(_CLOSE_CLIENTS, None)  # once, however the worker ends
    if close is not None:
        await close()


class WorkerSettings:
    """Read by arq; `build_worker` adds the Redis settings and the requeue cron job from the settings."""

    functions = arq_functions()
    on_startup = startup
    on_shutdown = shutdown
    max_tries = 6
    job_timeout = 600
    keep_result = 60
    health_check_key = worker_health_key()  # read by `contextjson worker --check` (jobs/health.py)
    health_check_interval = HEALTH_CHECK_INTERVAL_SECONDS


def requeue_cron(settings: Settings) -> CronJob:
    """jobs.requeue_unfinished every REQUEUE_INTERVAL_SECONDS, and at once when a worker (re)connects."""
    every = set(range(0, 60, settings.requeue_interval_seconds))
    return cron(tasks.requeue_unfinished, name=JOB_REQUEUE_UNFINISHED, second=every, run_at_startup=True)


def build_worker(settings: Settings) -> Worker:
    """A fresh arq Worker (a new one after each reconnect, so the cron's "at startup" run happens again)."""
    return create_worker(
        WorkerSettings,  # type: ignore[arg-type]
        redis_settings=redis_settings(settings),
        cron_jobs=[requeue_cron(settings)],
        handle_signals=True,
    )


def redis_settings(settings: Settings) -> RedisSettings:
    """REDIS_URL as arq settings; connection attempts are not retried here (the supervisor waits and retries)."""
    if not settings.redis_url:
        raise SystemExit("REDIS_URL is not set: `contextjson worker` needs Redis (without it, `serve` runs jobs)")
    redis = RedisSettings.from_dsn(settings.redis_url)
    redis.conn_retries = 0
    return redis


def run_worker() -> None:
    """`contextjson worker`: run arq workers until SIGINT/SIGTERM, waiting out Redis outages."""
    settings = get_settings()
    redis_settings(settings)  # a missing REDIS_URL is a clear exit, not a retry loop
    asyncio.run(supervise(lambda: build_worker(settings)))
