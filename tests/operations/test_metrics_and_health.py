"""/metrics answers the operator only; /livez never depends on the database, /healthz (readiness) does."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from litestar import Litestar

from app.app import create_app
from app.settings import Settings
from tests import db
from tests.support.problems import assert_problem

TOKEN = "metrics-token-for-the-scraper-0123456789"
LOOPBACK, REMOTE = ("127.0.0.1", 40000), ("203.0.113.7", 40000)


@pytest.fixture
def database_url(sqlite_template: Path, tmp_path: Path) -> str:
    """SQLite only (overrides conftest's sqlite + PostgreSQL pair): these routes do not depend on the kind."""
    return db.sqlite_copy(sqlite_template, tmp_path)


@pytest.fixture
async def app(settings: Settings, request: pytest.FixtureRequest) -> AsyncIterator[Litestar]:
    token = getattr(request, "param", None)
    app = create_app(settings.model_copy(update={"metrics_token": token}))
    async with LifespanManager(app):
        yield app


async def _get(
    app: Litestar, path: str, client: tuple[str, int], headers: dict[str, str] | None = None
) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, client=client)
    async with httpx.AsyncClient(transport=transport, base_url="http://contextjson.test") as http:
        return await http.get(path, headers=headers or {})


async def test_without_a_token_metrics_answer_local_requests(app: Litestar) -> None:
    await _get(app, "/healthz", LOOPBACK)  # something to count
    for client in (LOOPBACK, ("::1", 40000)):
        response = await _get(app, "/metrics", client)
        assert response.status_code == 200 and "litestar_requests_total" in response.text


@pytest.mark.parametrize(
    ("client", "headers"),
    [
        (REMOTE, {}),
        (("2001:db8::1", 40000), {}),
        (("10.0.0.8", 40000), {}),  # a pod next door is not the machine itself
        (LOOPBACK, {"X-Forwarded-For": "198.51.100.4"}),  # a reverse proxy on this host relaying a visitor
        (LOOPBACK, {"Forwarded": "for=198.51.100.4"}),
        (LOOPBACK, {"X-Real-IP": "198.51.100.4"}),
    ],
)
async def test_without_a_token_everyone_else_is_refused(
    app: Litestar, client: tuple[str, int], headers: dict[str, str]
) -> None:
    response = await _get(app, "/metrics", client, headers)
    assert "set METRICS_TOKEN" in assert_problem(response, 403, "metrics.forbidden")["detail"]
    assert "litestar_requests_total" not in response.text


@pytest.mark.parametrize("app", [TOKEN], indirect=True)
@pytest.mark.parametrize("client", [REMOTE, LOOPBACK])
async def test_with_a_token_only_the_bearer_gets_in(app: Litestar, client: tuple[str, int]) -> None:
    for headers in (
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": TOKEN},
        {"Authorization": f"Basic {TOKEN}"},
    ):
        refused = await _get(app, "/metrics", client, headers)
        assert_problem(refused, 401, "metrics.unauthorized")
        assert refused.headers["www-authenticate"] == "Bearer"
        assert refused.headers["www-authenticate"] == "Bearer"
    allowed = await _get(app, "/metrics", client, {"Authorization": f"Bearer {TOKEN}"})
    assert allowed.status_code == 200 and "litestar_requests_total" in allowed.text


async def test_livez_checks_nothing_but_the_process(app: Litestar) -> None:
    live = await _get(app, "/livez", REMOTE)
    assert (live.status_code, live.json()) == (200, {"status": "ok"})


@pytest.fixture
def doomed_database() -> Iterator[str]:
    url = db.create_postgres_database()
    yield url
    db.drop_postgres_database(url)


async def test_a_lost_database_fails_readiness_not_liveness(settings: Settings, doomed_database: str) -> None:
    app = create_app(settings.model_copy(update={"database_url": doomed_database}))
    async with LifespanManager(app):
        ready = await _get(app, "/healthz", LOOPBACK)
        assert (ready.status_code, ready.json()["database"]) == (200, "ok")
        db.drop_postgres_database(doomed_database)  # the database goes away under a running service
        ready = await _get(app, "/healthz", LOOPBACK)
        live = await _get(app, "/livez", LOOPBACK)
    assert ready.status_code == 503 and ready.json()["database"].startswith("error")
    assert live.status_code == 200
