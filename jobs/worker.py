"""arq WorkerSettings: `contextjson worker` runs these against REDIS_URL."""

from __future__ import annotations

import functools
from typing import Any

from arq import Retry, cron
from arq.connections import RedisSettings
from arq.worker import Function, func

from app.queue import ArqJobQueue, JobFunction, RetryJob
from app.runtime import build_runtime
from app.settings import get_settings
from jobs import tasks
from jobs.health import HEALTH_CHECK_INTERVAL_SECONDS, worker_health_key
from jobs.registry import JOB_FUNCTIONS, JOB_REQUEUE_UNFINISHED


def _arq_retry(fn: JobFunction) -> JobFunction:
    """Translate our RetryJob into arq's Retry so both runners share one retry vocabulary."""

    @functools.wraps(fn)
    async def wrapper(ctx: dict[str, Any], *args: Any) -> Any:
        try:
            return await fn(ctx, *args)
        except RetryJob as exc:
            raise Retry(defer=exc.defer_seconds) from exc

    return wrapper


def arq_functions() -> list[Function]:
    """The job table as arq Functions (the requeue job runs as a cron job instead)."""
    wrapped = {name: _arq_retry(fn) for name, fn in JOB_FUNCTIONS.items() if name != JOB_REQUEUE_UNFINISHED}
    return [func(fn, name=name) for name, fn in wrapped.items()]  # type: ignore[arg-type]


async def startup(ctx: dict[str, Any]) -> None:
    """Build this worker's Runtime; follow-up jobs go through arq's own Redis pool."""
    settings = get_settings()
    runtime = build_runtime(settings)
    runtime.queue = ArqJobQueue(settings.redis_url or "", pool=ctx["redis"])
    ctx["runtime"] = runtime


async def shutdown(ctx: dict[str, Any]) -> None:
    runtime = ctx.get("runtime")
    if runtime is not None:
        await runtime.close()


class WorkerSettings:
    """Read by arq; redis_settings is filled in from REDIS_URL by `contextjson worker`."""

    functions = arq_functions()
    cron_jobs = [cron(tasks.requeue_unfinished, name=JOB_REQUEUE_UNFINISHED, second={0}, run_at_startup=True)]
    on_startup = startup
    on_shutdown = shutdown
    max_tries = 6
    job_timeout = 600
    keep_result = 60
    health_check_key = worker_health_key()  # read by `contextjson worker --check` (jobs/health.py)
    health_check_interval = HEALTH_CHECK_INTERVAL_SECONDS


def redis_settings() -> RedisSettings:
    url = get_settings().redis_url
    if not url:
        raise SystemExit("REDIS_URL is not set: `contextjson worker` needs Redis (without it, `serve` runs jobs)")
    return RedisSettings.from_dsn(url)
