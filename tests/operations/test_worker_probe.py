"""`contextjson worker --check`: the exec probe of worker pods, against a real worker process and Redis."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis

from jobs.health import HEALTH_CHECK_INTERVAL_SECONDS, worker_health_key
from tests import db
from tests.operations.cli import REPO_ROOT, command_env, run_cli
from tests.support.process import stop_process

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis() -> Iterator[Redis]:
    client = Redis.from_url(REDIS_URL)
    client.delete(worker_health_key(), worker_health_key("another-pod"))
    yield client
    client.delete(worker_health_key(), worker_health_key("another-pod"))
    client.close()


@pytest.fixture
def env(tmp_path: Path, sqlite_template: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": db.sqlite_copy(sqlite_template, tmp_path),
        "REDIS_URL": REDIS_URL,
        "PUBLIC_URL": "https://cj.example",
        "SECRET_KEY": "worker-probe-secret-key-0123456789",
        "SNAPSHOT_CACHE_DIR": str(tmp_path / "snapshots"),
    }


def _check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_cli(["worker", "--check"], env, timeout=60)


def _wait_until_alive(env: dict[str, str], worker: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while _check(env).returncode != 0:
        assert worker.poll() is None, f"the worker exited:\n{log.read_text()}"
        assert time.monotonic() < deadline, f"the worker never reported alive:\n{log.read_text()}"
        time.sleep(0.5)


def test_the_probe_follows_this_hosts_worker(env: dict[str, str], redis: Redis, tmp_path: Path) -> None:
    redis.set(worker_health_key("another-pod"), b"alive elsewhere")
    before = _check(env)
    assert before.returncode == 1 and "missing or expired" in before.stdout, "another pod's worker must not count"

    log = tmp_path / "worker.log"
    with open(log, "wb") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "worker"], env=command_env(env), cwd=REPO_ROOT, stdout=out, stderr=out
        )
    try:
        _wait_until_alive(env, worker, log)
        assert "worker alive: " in _check(env).stdout
        # The key lapses on its own if the worker stops refreshing it (a hung event loop).
        assert 0 < redis.pttl(worker_health_key()) <= (HEALTH_CHECK_INTERVAL_SECONDS + 1) * 1000
    finally:
        stop_process(worker)
    after = _check(env)
    assert after.returncode == 1 and "missing or expired" in after.stdout


def test_an_unreachable_redis_does_not_fail_the_probe(env: dict[str, str]) -> None:
    # Restarting workers would not bring Redis back; they reconnect by themselves.
    proc = _check(env | {"REDIS_URL": "redis://127.0.0.1:1/0"})
    assert proc.returncode == 0 and "Redis is unreachable" in proc.stdout


def test_without_redis_there_is_no_worker(env: dict[str, str]) -> None:
    proc = _check(env | {"REDIS_URL": ""})
    assert proc.returncode == 1 and "REDIS_URL is not set" in proc.stdout
