"""Forms and API changes made with the session cookie carry its CSRF token; signed webhooks need none."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from litestar import post
from litestar.di import NamedDependency

from app.app import create_app
from app.auth.cookies import SESSION_COOKIE
from app.auth.viewer import Viewer
from app.guards import logged_in
from app.settings import Settings
from tests.auth.helpers import install, log_in, set_cookies, web_sessions
from tests.conftest import Service
from tests.support.payloads import installation_payload
from tests.support.problems import assert_problem


async def _form_token(service: Service) -> str:
    page = await service.client.get("/dashboard")
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, page.text
    return match.group(1)


async def test_logout_needs_the_sessions_token(service: Service, fake_github: Any) -> None:
    await install(service, fake_github, 101, "alice")
    await log_in(service, fake_github, "alice")
    token = await _form_token(service)

    for form in ({}, {"csrf_token": "x" * len(token)}, {"csrf_token": ""}):
        refused = await service.client.post("/logout", data=form)
        assert_problem(refused, 403, "auth.csrf_failed")
    assert len(await web_sessions(service)) == 1
    assert (await service.client.get("/api/account")).status_code == 200

    done = await service.client.post("/logout", data={"csrf_token": token})
    assert (done.status_code, done.headers["location"]) == (303, "/")
    assert "Max-Age=0" in set_cookies(done)[SESSION_COOKIE]
    assert await web_sessions(service) == []
    assert SESSION_COOKIE not in service.client.cookies
    assert_problem(await service.client.get("/api/account"), 401, "auth.login_required")


async def test_another_sessions_token_does_not_log_this_one_out(service: Service, fake_github: Any) -> None:
    await log_in(service, fake_github, "alice")
    earlier_token = await _form_token(service)
    await log_in(service, fake_github, "alice")  # a new login: a new session, a new token
    assert_problem(await service.client.post("/logout", data={"csrf_token": earlier_token}), 403, "auth.csrf_failed")
    assert (await service.client.post("/logout", data={"csrf_token": await _form_token(service)})).status_code == 303


async def test_logging_out_without_a_session_just_goes_home(service: Service) -> None:
    resp = await service.client.post("/logout")
    assert (resp.status_code, resp.headers["location"]) == (303, "/")


@post("/api/probe-change", guards=[logged_in], status_code=200)
async def probe_change(viewer: NamedDependency[Viewer]) -> dict[str, str]:
    """A stand-in for the API's future changes (top-up, caps): guarded like them."""
    return {"login": viewer.login}


@pytest.fixture
async def probed(settings: Settings) -> AsyncIterator[Service]:
    app = create_app(settings)
    app.register(probe_change)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://contextjson.test") as client:
            yield Service(app=app, client=client)


async def test_api_changes_with_the_session_cookie_need_the_token(probed: Service, fake_github: Any) -> None:
    assert_problem(await probed.client.post("/api/probe-change"), 401, "auth.login_required")
    await log_in(probed, fake_github, "alice")
    token = await _form_token(probed)

    assert_problem(await probed.client.post("/api/probe-change", json={}), 403, "auth.csrf_failed")
    assert_problem(await probed.client.post("/api/probe-change", data={"csrf_token": "no"}), 403, "auth.csrf_failed")
    by_header = await probed.client.post("/api/probe-change", json={}, headers={"X-CSRF-Token": token})
    assert (by_header.status_code, by_header.json()) == (200, {"login": "alice"})
    by_form = await probed.client.post("/api/probe-change", data={"csrf_token": token})
    assert by_form.json() == {"login": "alice"}


async def test_signed_webhooks_need_no_csrf_token_even_beside_a_session(service: Service, fake_github: Any) -> None:
    await log_in(service, fake_github, "alice")
    fake_github.add_installation(101, "alice", [])
    owner = fake_github.account("alice")
    resp = await service.send_webhook("installation", installation_payload("created", 101, owner, []))
    assert resp.status_code == 202, resp.text
