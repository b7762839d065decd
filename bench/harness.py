"""Shared bench harness: loopback fakes, a fresh database, `contextjson serve` (+ an arq worker) as subprocesses,
and a repository installed with a context.json through signed webhooks, the way GitHub would do it.

    with start_stack(postgres=False, redis=False, llm_first_token_delay=0.2) as stack:
        repo = stack.install("acme", "widgets", context_document(["explain"]))
        result_id = stack.click("/acme/widgets/context/explain")
        stack.wait_result(result_id)

Embedded defaults: a SQLite file in a temporary directory, jobs inside `serve`. `--postgres`: a fresh database
on postgresql://postgres@127.0.0.1:5432 (migrated with `contextjson migrate`, dropped afterwards). `--redis`:
REDIS_URL set (a Redis database of the bench's own, emptied first), so jobs go to arq and a
`contextjson worker` subprocess runs them. The fakes (GitHub, LLM) run in threads of the bench process, so
their `time.monotonic()` stamps compare directly with the bench's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.fakes.fixtures import app_private_key_pem  # noqa: E402
from tests.fakes.github import FakeGitHub, FakeRepo  # noqa: E402
from tests.fakes.llm import FakeLLM  # noqa: E402
from tests.support.payloads import installation_payload  # noqa: E402
from tests.support.process import serve_process, stop_process  # noqa: E402
from tests.support.webhook_examples import sign_payload  # noqa: E402

WEBHOOK_SECRET = "bench-webhook-secret"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
# Tests use Redis databases 13 and 15 and bench/webhook_ack.py uses 14; these benches own 12 and empty it.
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/12"
SETUP_TIMEOUT = 60.0

REPO_FILES = {
    "README.md": "# Widgets\nA library of widgets.\n",
    "src/widgets.py": "def widget():\n    return 42\n",
    "docs/guide.md": "How to use widgets.\n",
}


class BenchError(SystemExit):
    """A functional failure: the bench prints why and exits non-zero."""

    def __init__(self, message: str):
        super().__init__(f"FAILED: {message}")


def add_backend_args(parser: argparse.ArgumentParser) -> None:
    """--postgres / --redis / --redis-url, shared by every bench."""
    parser.add_argument("--postgres", action="store_true", help="a fresh PostgreSQL database instead of SQLite")
    parser.add_argument("--redis", action="store_true", help="REDIS_URL set: jobs on arq, run by a worker process")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL, help="Redis database the bench may empty")


def context_document(ids: list[str], *, prompt: str = "Explain what {{owner}}/{{repo}} does ({id}).") -> str:
    """A context.json with one entry per id; each prompt names its id, so every entry has its own cache key."""
    entries = {
        cid: {"summary": f"Bench context {cid}", "prompt": prompt.replace("{id}", cid), "pathPatterns": ["README.md"]}
        for cid in ids
    }
    return json.dumps({"$schema": "https://contextjson.com/schema", "context": entries})


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) of `values`, interpolated linearly between closest ranks."""
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def median(values: list[float]) -> float:
    return statistics.median(values)


@dataclass
class Stack:
    """A running service with its fakes; `base` is the server's URL."""

    base: str
    github: FakeGitHub
    llm: FakeLLM
    database_url: str
    postgres: bool
    redis: bool
    logs: dict[str, Path]
    env: dict[str, str] = field(default_factory=dict)  # the server's environment (for CLI commands against it)
    _installation_ids: Iterator[int] = field(default_factory=lambda: iter(range(7001, 8000)))

    @property
    def setup(self) -> str:
        return describe(self.postgres, self.redis)

    def send_webhook(self, event: str, payload: dict[str, Any]) -> None:
        """POST a signed delivery; anything but 202 is a functional failure."""
        body = json.dumps(payload).encode()
        headers = {
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": str(uuid.uuid4()),
            "X-Hub-Signature-256": sign_payload(WEBHOOK_SECRET, body),
            "Content-Type": "application/json",
        }
        resp = httpx.post(f"{self.base}/webhooks/github", content=body, headers=headers, timeout=30)
        if resp.status_code != 202:
            raise BenchError(f"{event} webhook answered {resp.status_code}: {resp.text[:300]}")

    def install(self, owner: str, name: str, context_json: str) -> FakeRepo:
        """Create the repo on the fake GitHub, install the App on it (signed webhook), wait until checked."""
        repo = self.github.add_repo(owner, name, files={**REPO_FILES, "context.json": context_json})
        installation_id = next(self._installation_ids)
        self.github.add_installation(installation_id, owner, [repo.id], account_type="Organization")
        payload = installation_payload("created", installation_id, self.github.account(owner), [repo])
        self.send_webhook("installation", payload)
        self._wait_checked(repo, repo.branches[repo.default_branch])
        return repo

    def _wait_checked(self, repo: FakeRepo, sha: str) -> None:
        """Until the check run for `sha` succeeded and the job that reported it has committed its snapshot."""

        def checked() -> bool:
            runs = [r for r in self.github.check_runs if r["repo"] == repo.full_name and r["head_sha"] == sha]
            if runs and runs[-1]["conclusion"] not in (None, "success"):
                raise BenchError(f"check run for {repo.full_name}: {runs[-1]['output']['summary']}")
            return bool(runs) and self._context_stored(sha)

        wait_for(checked, SETUP_TIMEOUT, f"check run and stored context.json of {repo.full_name}@{sha[:7]}")

    def _context_stored(self, sha: str) -> bool:
        query = "SELECT count(*) FROM context_files WHERE commit_sha = "
        if self.postgres:
            return asyncio.run(_pg_fetchval(self.database_url, query + "$1", sha)) > 0
        path = self.database_url.removeprefix("sqlite:///")
        with sqlite3.connect(path, timeout=30) as conn:
            return conn.execute(query + "?", (sha,)).fetchone()[0] > 0

    def click(self, path: str) -> str:
        """GET a visitor link; it must answer 303 to /r/{id}. Returns the result id."""
        resp = httpx.get(self.base + path, timeout=30, follow_redirects=False)
        return result_id_of(resp)

    def result(self, result_id: str) -> dict[str, Any]:
        resp = httpx.get(f"{self.base}/r/{result_id}.json", timeout=30)
        if resp.status_code != 200:
            raise BenchError(f"/r/{result_id}.json answered {resp.status_code}")
        return resp.json()  # type: ignore[no-any-return]

    def wait_result(self, result_id: str, timeout: float = SETUP_TIMEOUT) -> dict[str, Any]:
        """Poll the result until it is finished; a failed one is a functional failure."""
        deadline = time.monotonic() + timeout
        while True:
            result = self.result(result_id)
            if result["status"] == "failed":
                raise BenchError(f"result {result_id} failed: {result.get('error')}")
            if result["status"] == "done":
                return result
            if time.monotonic() > deadline:
                raise BenchError(f"result {result_id} still {result['status']} after {timeout:.0f}s")
            time.sleep(0.05)


def result_id_of(resp: httpx.Response) -> str:
    """The result id of a visitor link's 303; anything else is a functional failure."""
    location = resp.headers.get("location", "")
    if resp.status_code != 303 or not location.startswith("/r/"):
        raise BenchError(f"{resp.request.url} answered {resp.status_code} location={location!r}: {resp.text[:300]}")
    return location.removeprefix("/r/").split("?")[0]


def describe(postgres: bool, redis: bool) -> str:
    db = "PostgreSQL" if postgres else "SQLite"
    jobs = "Redis (arq worker process, Redis Streams relay)" if redis else "in-process jobs and relay"
    return f"{db} + {jobs}"


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise BenchError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.05)


async def _pg_fetchval(url: str, query: str, *args: Any) -> Any:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval(query, *args)
    finally:
        await conn.close()


async def _pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextmanager
def _database(postgres: bool, tmp: Path, env: dict[str, str]) -> Iterator[str]:
    """A fresh database URL: a SQLite file (serve migrates it) or a new PostgreSQL database, migrated here."""
    if not postgres:
        yield f"sqlite:///{tmp / 'bench.db'}"
        return
    name = f"cj_bench_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    try:
        migrate = [sys.executable, "-m", "app.cli", "migrate"]
        out = subprocess.run(
            migrate, cwd=ROOT, env={**os.environ, **env, "DATABASE_URL": url}, capture_output=True, text=True
        )
        if out.returncode != 0:
            raise BenchError(f"contextjson migrate failed:\n{out.stdout}{out.stderr}")
        yield url
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _empty_redis(url: str) -> None:
    from redis import Redis

    client = Redis.from_url(url)
    try:
        client.flushdb()  # stale arq jobs or kept results (job ids like delivery:1) would disturb this run
    finally:
        client.close()


@contextmanager
def _worker(env: dict[str, str], log_path: Path) -> Iterator[None]:
    """`contextjson worker` (arq) with the server's environment."""
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "worker"],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            time.sleep(0.2)
            if proc.poll() is not None:
                raise BenchError(f"worker exited with {proc.returncode}:\n{log_path.read_text()}")
            yield
        finally:
            stop_process(proc)


@contextmanager
def start_stack(
    *,
    postgres: bool = False,
    redis: bool = False,
    redis_url: str = DEFAULT_REDIS_URL,
    llm_first_token_delay: float = 0.0,
    llm_token_delay: float = 0.0,
    extra_env: dict[str, str] | None = None,
    serve_log_level: str | None = "warning",
    serve_args: tuple[str, ...] = (),
) -> Iterator[Stack]:
    """Fakes, database, server (and worker); everything is stopped and removed on exit.

    `serve_log_level=None` starts `contextjson serve` with its own default log level, as a user would.
    """
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cj-bench-")))
        github = stack.enter_context(FakeGitHub(private_key_pem=app_private_key_pem()))
        llm = stack.enter_context(FakeLLM(first_token_delay=llm_first_token_delay, token_delay=llm_token_delay))
        env = {
            "REDIS_URL": redis_url if redis else "",
            "PUBLIC_URL": "http://bench.invalid",
            "SECRET_KEY": "bench-secret-key-" + "x" * 32,
            "GITHUB_API_URL": github.url,
            "GITHUB_APP_ID": str(github.app_id),
            "GITHUB_APP_PRIVATE_KEY": github.private_key_pem or "",
            "GITHUB_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "LLM_BASE_URL": llm.url,
            "LLM_API_KEY": llm.api_key,
            "VISITOR_GENERATIONS_PER_HOUR": "1000000",  # one client address starts every generation here
            "SNAPSHOT_CACHE_DIR": str(tmp / "snapshots"),
            **(extra_env or {}),
        }
        env["DATABASE_URL"] = stack.enter_context(_database(postgres, tmp, env))
        if redis:
            _empty_redis(redis_url)
        logs = {"serve": tmp / "serve.log"}
        base = stack.enter_context(
            serve_process(env, log_path=logs["serve"], log_level=serve_log_level, extra_args=serve_args)
        )
        if redis:
            logs["worker"] = tmp / "worker.log"
            stack.enter_context(_worker(env, logs["worker"]))
        try:
            yield Stack(base, github, llm, env["DATABASE_URL"], postgres, redis, logs, env)
        except BaseException:
            for name, path in logs.items():  # the service's side of a failure, before the files go away
                tail = path.read_text(errors="replace")[-3000:] if path.exists() else ""
                if tail.strip():
                    print(f"--- last lines of {name} log ---\n{tail}", file=sys.stderr)
            raise
