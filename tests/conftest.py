"""Shared fixtures: real databases (SQLite and PostgreSQL), the fake GitHub, and the app under test."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from litestar import Litestar

from app.app import create_app
from app.clients import Clients
from app.queue import InProcessJobQueue
from app.settings import Settings
from tests import db
from tests.fakes.fixtures import fake_github, fake_llm  # noqa: F401  (re-exported fixtures)
from tests.support.webhook_examples import sign_payload

WEBHOOK_SECRET = "test-webhook-secret"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    url = db.create_postgres_database()
    yield url
    db.drop_postgres_database(url)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return db.migrated_sqlite_template(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database of each kind the service supports."""
    if request.param == "sqlite":
        return db.sqlite_copy(request.getfixturevalue("sqlite_template"), tmp_path)
    url: str = request.getfixturevalue("postgres_url")
    await db.empty_postgres_tables(url)
    return url


@pytest.fixture
def settings(database_url: str, fake_github: Any, fake_llm: Any, tmp_path: Path) -> Settings:  # noqa: F811
    return Settings(
        database_url=database_url,
        redis_url=None,
        public_url="http://contextjson.test",
        secret_key="test-secret-key-not-the-development-default",
        github_api_url=fake_github.url,
        github_app_id=str(fake_github.app_id),
        github_app_private_key=fake_github.private_key_pem,
        github_webhook_secret=WEBHOOK_SECRET,
        github_client_id=fake_github.oauth.client_id,
        github_client_secret=fake_github.oauth.client_secret,
        free_credit_usd=5,
        llm_base_url=fake_llm.url,
        llm_api_key=fake_llm.api_key,
        llm_backoff_seconds=0.01,
        snapshot_cache_dir=tmp_path / "snapshots",
    )


@dataclass
class Service:
    """The app under test, reached over ASGI in this event loop (so jobs can be awaited)."""

    app: Litestar
    client: httpx.AsyncClient

    @property
    def clients(self) -> Clients:
        return self.app.state.clients  # type: ignore[no-any-return]

    @property
    def job_context(self) -> dict[str, Any]:
        """What this process's in-process jobs receive (each client by name), to call job functions directly."""
        queue = self.clients.queue
        assert isinstance(queue, InProcessJobQueue)
        return queue.context

    def replace_client(self, name: str, client: Any) -> None:
        """Swap one shared client for handlers and jobs alike (a test-only policy, a broken broker...)."""
        setattr(self.clients, name, client)
        self.job_context[name] = client

    async def drain_jobs(self) -> None:
        queue = self.clients.queue
        assert isinstance(queue, InProcessJobQueue)
        await queue.drain()

    async def send_webhook(
        self,
        event: str,
        payload: dict[str, Any],
        *,
        delivery_id: str | None = None,
        secret: str = WEBHOOK_SECRET,
        signature: str | None = None,
    ) -> httpx.Response:
        body = json.dumps(payload).encode()
        headers = {
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": delivery_id or str(uuid.uuid4()),
            "X-Hub-Signature-256": signature if signature is not None else sign_payload(secret, body),
            "Content-Type": "application/json",
        }
        return await self.client.post("/webhooks/github", content=body, headers=headers)


@asynccontextmanager
async def running_service(settings: Settings) -> AsyncIterator[Service]:
    """create_app(settings) started (lifespan) and reached over ASGI, until the block ends (the process stops)."""
    app = create_app(settings)
    async with LifespanManager(app):
        # Not manager.app: asgi-lifespan hands every request the same `state` dict (no copy), which
        # makes Litestar reuse the first request's cached headers.
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://contextjson.test") as client:
            yield Service(app=app, client=client)


@pytest.fixture
async def service(settings: Settings) -> AsyncIterator[Service]:
    async with running_service(settings) as started:
        yield started
