"""Keep `contextjson worker` alive across Redis outages: arq's Worker ends at the first lost connection, so run
one after another, waiting with capped exponential backoff in between (one log line per attempt).

Jobs running when the connection went are cancelled (every job may run twice) and their arq "in progress" marks
are removed once Redis answers again, so a Redis that kept its data runs them again at once instead of after
the job timeout; a Redis that lost its data forgot them, and the requeue cron finds the work in the database.
SIGINT/SIGTERM stop the current worker as arq does (its jobs are cancelled and will run again), or end the wait.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from arq.constants import in_progress_key_prefix
from arq.worker import Worker

from app.queue import REDIS_UNAVAILABLE

log = logging.getLogger("contextjson.worker")


@dataclass(frozen=True)
class Backoff:
    """Seconds between reconnect attempts: doubling from `first` up to `cap`, minus up to 20 % jitter."""

    first: float = 0.5
    cap: float = 10.0

    def delay(self, attempt: int) -> float:
        """The wait before reconnect attempt `attempt` (1 for the first attempt after a failure)."""
        # Jitter keeps a fleet of workers from reconnecting in step.
        return min(self.cap, self.first * 2 ** (attempt - 1)) * random.uniform(0.8, 1.0)


async def supervise(make_worker: Callable[[], Worker], backoff: Backoff = Backoff()) -> None:
    """Run workers from `make_worker` one after another until SIGINT/SIGTERM; errors other than Redis's end it."""
    await _Supervisor(make_worker, backoff).run()


class _Supervisor:
    def __init__(self, make_worker: Callable[[], Worker], backoff: Backoff) -> None:
        self._make_worker = make_worker
        self._backoff = backoff
        self._stop = asyncio.Event()
        self._failures = 0  # connection attempts failed in a row
        self._orphans: set[str] = set()  # jobs cancelled when the connection went, released on the next connect

    async def run(self) -> None:
        while not self._stop.is_set():
            worker = self._make_worker()
            worker.on_stop = lambda _signal: self._stop.set()  # arq calls it from its SIGINT/SIGTERM handler
            self._hook_connect(worker)
            error = await _run(worker, self._stop)
            if error is None:
                return
            self._failures += 1  # back to 0 whenever a worker reached Redis
            self._orphans |= {job_id for job_id, task in worker.tasks.items() if not task.done()}
            await _discard(worker)
            delay = self._backoff.delay(self._failures)
            log.warning(
                "worker.redis_unavailable attempt=%d retry_in=%.1fs error=%s", self._failures, delay, _describe(error)
            )
            with suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), delay)

    def _hook_connect(self, worker: Worker) -> None:
        """Once this worker reaches Redis (before its own startup): release orphaned jobs, say it is back."""
        startup = worker.on_startup

        async def on_startup(ctx: dict[Any, Any]) -> None:
            if self._orphans:
                await ctx["redis"].delete(*(in_progress_key_prefix + job_id for job_id in self._orphans))
            if self._failures:
                log.info("worker.redis_reconnected attempts=%d released_jobs=%d", self._failures, len(self._orphans))
            self._failures = 0
            self._orphans.clear()
            if startup is not None:
                await startup(ctx)

        worker.on_startup = on_startup


async def _run(worker: Worker, stop: asyncio.Event) -> BaseException | None:
    """Run one worker until a signal or a lost connection: None when it stopped, else the connection error."""
    main = worker.main_task = asyncio.create_task(worker.main())
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({main, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
    error = None if main.cancelled() or not main.done() else main.exception()
    if error is not None and not isinstance(error, REDIS_UNAVAILABLE):
        await _discard(worker)
        raise error
    if error is None:
        await _shut_down(worker)
    return error


async def _shut_down(worker: Worker) -> None:
    """arq's own graceful stop (its signal handler has cancelled the jobs); Redis may be gone by now."""
    main = worker.main_task
    if main is not None and not main.done():
        main.cancel()
        await asyncio.gather(main, return_exceptions=True)
    try:
        await worker.close()
    except REDIS_UNAVAILABLE as exc:
        log.warning("worker.stopped_without_redis error=%s", _describe(exc))
        await _discard(worker)


async def _discard(worker: Worker) -> None:
    """Let go of a worker whose Redis went away: cancel its jobs, run its shutdown hook, drop its pool."""
    tasks = list(worker.tasks.values())
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)  # they fail to report to Redis, as expected
    if worker.on_shutdown is not None:
        await worker.on_shutdown(worker.ctx)
    pool = worker.pool  # None when Redis never answered
    if pool is not None:
        with suppress(*REDIS_UNAVAILABLE):
            await pool.aclose()


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"
