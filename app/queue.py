"""Enqueue background jobs by name: on arq (Redis) when REDIS_URL is set, else inside this process.

`app` never imports `jobs`: the in-process runner resolves the job table from its dotted name, and both
runners know jobs by the names in app/jobs_catalog.py.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from contextlib import suppress
from typing import Any, Protocol, runtime_checkable

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from app.jobs_catalog import JobCall

log = logging.getLogger("contextjson.queue")

# What a lost, refused or timed-out Redis connection raises (redis-py wraps most socket errors in its own).
REDIS_UNAVAILABLE: tuple[type[Exception], ...] = (
    RedisConnectionError,
    RedisTimeoutError,
    ConnectionError,
    TimeoutError,
)

JobFunction = Callable[..., Awaitable[Any]]
IN_PROCESS_JOB_TABLE = "jobs.registry:JOB_FUNCTIONS"


class RetryJob(Exception):  # noqa: N818  (reads as an instruction: "retry job")
    """Raised by a job to be run again after `defer_seconds` (both runners honour it)."""

    def __init__(self, defer_seconds: float = 5.0):
        super().__init__(f"retry in {defer_seconds}s")
        self.defer_seconds = defer_seconds


@runtime_checkable  # handlers receive it as a dependency, which Litestar checks with isinstance
class JobQueue(Protocol):
    async def enqueue(self, call: JobCall) -> None: ...

    async def close(self) -> None: ...


class ArqJobQueue:
    """Jobs go to Redis; `contextjson worker` processes run them.

    Survives Redis outages: while Redis is away `enqueue` fails fast (the caller has stored the work, and the
    workers' requeue cron picks it up); once it is back, the next `enqueue` works on fresh connections.
    """

    def __init__(self, redis_url: str, pool: Any = None):
        self._redis_url = redis_url
        self._pool: Any = pool
        self._owns_pool = pool is None
        self._lock = asyncio.Lock()

    async def _get_pool(self) -> Any:
        if self._pool is None:
            async with self._lock:
                if self._pool is None:
                    from arq import create_pool
                    from arq.connections import RedisSettings

                    settings = RedisSettings.from_dsn(self._redis_url)
                    # Fail fast: the caller has already stored the work and can answer without Redis.
                    settings.conn_retries, settings.conn_timeout = 0, 2
                    self._pool = await create_pool(settings)
        return self._pool

    async def enqueue(self, call: JobCall) -> None:
        """Queue the call; a job id already queued or running is not queued twice."""
        pool = await self._get_pool()
        try:
            await pool.enqueue_job(call.name, *call.args, _job_id=call.job_id)
        except REDIS_UNAVAILABLE as exc:
            # Every connection opened before a Redis restart fails once: start over on fresh ones, once. A pool
            # that cannot reach Redis fails again at once, and the next enqueue tries a new one.
            log.info("queue.reconnecting error=%s: %s", type(exc).__name__, exc)
            await self._forget(pool)
            pool = await self._get_pool()
            await pool.enqueue_job(call.name, *call.args, _job_id=call.job_id)

    async def _forget(self, pool: Any) -> None:
        """Drop a pool whose connection failed, if this queue made it (a worker's pool belongs to arq)."""
        if not self._owns_pool:
            return
        async with self._lock:
            if self._pool is not pool:
                return  # another enqueue replaced it already
            self._pool = None
        with suppress(*REDIS_UNAVAILABLE):
            await pool.aclose()

    async def close(self) -> None:
        if self._pool is not None and self._owns_pool:
            await self._pool.aclose()
        self._pool = None


class InProcessJobQueue:
    """Runs the same job functions as background tasks of this event loop (no Redis needed)."""

    def __init__(
        self, functions: Mapping[str, JobFunction], ctx: dict[str, Any], *, concurrency: int = 4, max_tries: int = 5
    ):
        self._functions = functions
        self._ctx = ctx
        self._semaphore = asyncio.Semaphore(concurrency)
        self._max_tries = max_tries
        self._tasks: set[asyncio.Task[None]] = set()
        self._active_ids: set[str] = set()

    @property
    def context(self) -> dict[str, Any]:
        """The context every job of this queue receives (the process's clients by name)."""
        return self._ctx

    async def enqueue(self, call: JobCall) -> None:
        """Start the call in the background; unknown names fail loudly here, not later."""
        if call.name not in self._functions:
            raise KeyError(f"unknown job {call.name!r}")
        if call.job_id is not None:
            if call.job_id in self._active_ids:
                return
            self._active_ids.add(call.job_id)
        task = asyncio.create_task(self._run(call.name, call.args, call.job_id), name=f"job:{call.name}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, name: str, args: tuple[Any, ...], job_id: str | None) -> None:
        try:
            for attempt in range(1, self._max_tries + 1):
                try:
                    async with self._semaphore:
                        await self._functions[name]({**self._ctx, "job_try": attempt}, *args)
                    return
                except RetryJob as retry:
                    if attempt == self._max_tries:
                        log.error("job.gave_up name=%s args=%s", name, args)
                        return
                    await asyncio.sleep(retry.defer_seconds)
                except Exception:
                    log.exception("job.failed name=%s args=%s", name, args)
                    return
        finally:
            if job_id is not None:
                self._active_ids.discard(job_id)

    async def drain(self) -> None:
        """Wait until every queued job (including jobs they enqueue) has finished."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)


def load_in_process_jobs() -> Mapping[str, JobFunction]:
    """The job table registered under IN_PROCESS_JOB_TABLE (module:attribute)."""
    module_name, attr = IN_PROCESS_JOB_TABLE.split(":")
    return getattr(importlib.import_module(module_name), attr)  # type: ignore[no-any-return]
