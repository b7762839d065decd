"""Redis going away and coming back under a running web app and a real `contextjson worker` process.

Each test runs its own redis-server (tests/support/process.py) so it can be killed; the web app runs in this
process over ASGI, the worker as a subprocess sharing the PostgreSQL database and the loopback fakes.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from subprocess import Popen
from typing import Any

import pytest
from redis import Redis as SyncRedis

from app.settings import Settings
from jobs.health import worker_health_key
from tests.conftest import Service, running_service
from tests.links.helpers import install_repo
from tests.support.payloads import installation_payload, push_payload
from tests.support.process import RedisServer, redis_server, worker_process
from tests.webhooks.helpers import VALID_CONTEXT, deliveries

INSTALLATION_ID = 4242
HEALTH_KEY = worker_health_key()  # written by a worker (on this host) once it polls Redis

# The worker re-queues stored, unfinished work every second once it is a second old (production: 15 s / 20 s).
FAST_REQUEUE = {"requeue_interval_seconds": 1, "requeue_after_seconds": 1.0}

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # web + worker: production's DB


def worker_env(settings: Settings) -> dict[str, str]:
    """The settings as the environment variables a `contextjson worker` process reads."""
    values = settings.model_dump(mode="json")
    return {name.upper(): v if isinstance(v, str) else json.dumps(v) for name, v in values.items() if v is not None}


@contextmanager
def worker(settings: Settings, redis: RedisServer, log_path: Path) -> Iterator[Popen[bytes]]:
    with worker_process(worker_env(settings), log_path=log_path) as proc:
        wait_for_worker(redis, proc, log_path)
        yield proc


def wait_for_worker(redis: RedisServer, proc: Popen[bytes], log_path: Path, timeout: float = 60.0) -> None:
    """Until the worker polls this Redis (its health-check key appears)."""
    client = SyncRedis.from_url(redis.url)
    try:
        deadline = time.monotonic() + timeout
        while not client.exists(HEALTH_KEY):
            assert proc.poll() is None, f"the worker exited:\n{log_path.read_text()}"
            assert time.monotonic() < deadline, f"the worker did not connect:\n{log_path.read_text()}"
            time.sleep(0.05)
    finally:
        client.close()


async def eventually(check: Callable[[], Awaitable[bool]], within: float, what: str) -> float:
    """Poll until `check` holds; the seconds it took."""
    started = time.monotonic()
    while not await check():
        assert time.monotonic() - started < within, f"{what}: not within {within} s"
        await asyncio.sleep(0.05)
    return time.monotonic() - started


def fast_settings(settings: Settings, redis: RedisServer) -> Settings:
    return settings.model_copy(update={"redis_url": redis.url, **FAST_REQUEUE})


async def all_processed(service: Service) -> bool:
    return all(d.status == "processed" for d in await deliveries(service))


async def test_a_push_received_while_redis_is_down_is_checked_once_it_is_back(
    settings: Settings, fake_github: Any, tmp_path: Path
) -> None:
    repo = fake_github.add_repo("octo", "outage", files={"README.md": "# outage"})
    fake_github.add_installation(INSTALLATION_ID, "octo", [repo.id])
    log_path = tmp_path / "worker.log"
    with redis_server() as redis:
        settings = fast_settings(settings, redis)
        async with running_service(settings) as service:
            with worker(settings, redis, log_path) as proc:
                payload = installation_payload("created", INSTALLATION_ID, fake_github.account("octo"), [repo])
                assert (await service.send_webhook("installation", payload)).status_code == 202
                await eventually(lambda: all_processed(service), 30, "installation processed")

                redis.kill()
                before, after = repo.branches["main"], repo.commit("main", {"context.json": VALID_CONTEXT})
                push = push_payload(
                    repo, INSTALLATION_ID, branch="main", before=before, after=after, added=["context.json"]
                )
                assert (await service.send_webhook("push", push)).status_code == 202  # stored without Redis
                assert (await deliveries(service))[-1].status == "pending"
                await asyncio.sleep(1.5)  # the worker notices and waits: a few attempts
                assert proc.poll() is None

                redis.start()
                took = await eventually(
                    lambda: _has_check_run(fake_github, after), 60, "check run after Redis returned"
                )
                assert proc.poll() is None, "the worker kept running through the outage"
                print(f"\ncheck run {took:.1f} s after Redis returned")

    [run] = [r for r in fake_github.check_runs if r["head_sha"] == after]
    assert run["conclusion"] == "success"
    log = log_path.read_text()
    assert "worker.redis_unavailable attempt=1 " in log and "worker.redis_reconnected" in log


async def _has_check_run(fake_github: Any, sha: str) -> bool:
    return any(run["head_sha"] == sha for run in fake_github.check_runs)


async def test_a_generation_cut_by_a_redis_restart_is_finished_after_it(
    settings: Settings, fake_github: Any, fake_llm: Any, tmp_path: Path
) -> None:
    log_path = tmp_path / "worker.log"
    with redis_server() as redis:
        settings = fast_settings(settings, redis)
        async with running_service(settings) as service:
            with worker(settings, redis, log_path) as proc:
                installed = await install_repo(service, fake_github, drain=False)
                await eventually(lambda: all_processed(service), 30, "installation processed")
                fake_llm.stall_next(seconds=120)  # the first call hangs until the job is cancelled
                location = (await installed.click()).headers["location"]
                await eventually(lambda: _calls(fake_llm, 1), 30, "the generation started")

                # Redis restarts with its data, so arq still holds the job as "in progress" (for the job timeout).
                redis.shutdown_saving()
                await asyncio.sleep(1.0)
                redis.start()
                took = await eventually(lambda: _done(service, location), 60, "generation finished")
                assert proc.poll() is None
                print(f"\ngeneration done {took:.1f} s after Redis returned")

    assert fake_llm.call_count == 2
    assert "worker.redis_reconnected" in log_path.read_text()


async def _calls(fake_llm: Any, count: int) -> bool:
    return bool(fake_llm.call_count >= count)


async def _done(service: Service, location: str) -> bool:
    return bool((await service.client.get(location + ".json")).json()["status"] == "done")


async def test_a_worker_started_before_redis_waits_for_it(settings: Settings, tmp_path: Path) -> None:
    log_path = tmp_path / "worker.log"
    with redis_server() as redis:
        redis.kill()
        with worker_process(worker_env(fast_settings(settings, redis)), log_path=log_path) as proc:

            async def attempts() -> bool:
                return log_path.read_text().count("worker.redis_unavailable") >= 2

            await eventually(attempts, 60, "two connection attempts")
            redis.start()
            await asyncio.to_thread(wait_for_worker, redis, proc, log_path)
            proc.terminate()
            assert await asyncio.to_thread(proc.wait, 15) == 0  # and stops cleanly on SIGTERM
    log = log_path.read_text()
    assert "attempt=1 retry_in=0." in log and "attempt=2 retry_in=" in log  # one line per attempt, backing off
    assert "Traceback" not in log
