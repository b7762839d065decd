"""The session cookie: its flags, a 30-day login renewed while used, and what ends it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from app.app import create_app
from app.auth.cookies import SESSION_COOKIE, session_cookie
from app.auth.crypto import new_session_id
from app.db.models import utcnow
from app.settings import Settings
from tests.auth.helpers import change_sessions, install, log_in, login_trip, set_cookies, web_sessions
from tests.conftest import Service
from tests.support.problems import assert_problem

THIRTY_DAYS = 30 * 24 * 3600


def _near(value: Any, expected: Any, slack: timedelta = timedelta(minutes=1)) -> bool:
    value = value if value.tzinfo else value.replace(tzinfo=expected.tzinfo)
    return abs(value - expected) < slack


@pytest.fixture
async def https_service(settings: Settings) -> AsyncIterator[Service]:
    """The service behind https://contextjson.test (a browser sends Secure cookies back only over https)."""
    app = create_app(settings.model_copy(update={"public_url": "https://contextjson.test"}))
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://contextjson.test") as client:
            yield Service(app=app, client=client)


async def test_cookies_are_httponly_lax_and_not_secure_on_http(service: Service, fake_github: Any) -> None:
    trip = await login_trip(service, fake_github, "alice")
    for line in [set_cookies(trip.start)["cj_login"], set_cookies(trip.callback)[SESSION_COOKIE]]:
        flags = [flag.strip().lower() for flag in line.split(";")]
        assert "httponly" in flags and "samesite=lax" in flags and "secure" not in flags, line
    session_line = set_cookies(trip.callback)[SESSION_COOKIE]
    assert f"Max-Age={THIRTY_DAYS}" in session_line and "Path=/" in session_line


async def test_cookies_are_secure_when_public_url_is_https(https_service: Service, fake_github: Any) -> None:
    trip = await login_trip(https_service, fake_github, "alice")
    assert trip.callback.status_code == 303
    assert (await https_service.client.get("/dashboard")).status_code == 200
    for line in [set_cookies(trip.start)["cj_login"], set_cookies(trip.callback)[SESSION_COOKIE]]:
        assert "secure" in [flag.strip().lower() for flag in line.split(";")], line


async def test_a_session_used_within_30_days_is_renewed_for_30_more(service: Service, fake_github: Any) -> None:
    await install(service, fake_github, 101, "alice")
    await log_in(service, fake_github, "alice")
    now = utcnow()
    await change_sessions(service, last_seen_at=now - timedelta(days=29), expires_at=now + timedelta(days=1))

    resp = await service.client.get("/api/account")
    assert resp.status_code == 200
    assert f"Max-Age={THIRTY_DAYS}" in set_cookies(resp)[SESSION_COOKIE]
    [stored] = await web_sessions(service)
    assert _near(stored.expires_at, now + timedelta(days=30)) and _near(stored.last_seen_at, now)

    # Used again at once: nothing to renew yet (no write, no cookie).
    again = await service.client.get("/dashboard")
    assert again.status_code == 200 and SESSION_COOKIE not in set_cookies(again)
    assert (await web_sessions(service))[0].expires_at == stored.expires_at


async def test_an_expired_session_is_anonymous_and_its_cookie_is_cleared(service: Service, fake_github: Any) -> None:
    await install(service, fake_github, 101, "alice")
    await log_in(service, fake_github, "alice")
    await change_sessions(service, expires_at=utcnow() - timedelta(seconds=1))

    resp = await service.client.get("/api/account")
    assert_problem(resp, 401, "auth.login_required")
    assert "Max-Age=0" in set_cookies(resp)[SESSION_COOKIE]
    assert SESSION_COOKIE not in service.client.cookies
    page = await service.client.get("/dashboard")
    assert (page.status_code, page.headers["location"]) == (303, "/login?next=/dashboard")


async def test_a_forged_cookie_or_a_rotated_secret_key_is_anonymous(service: Service, fake_github: Any) -> None:
    await install(service, fake_github, 101, "alice")
    await log_in(service, fake_github, "alice")
    value = service.client.cookies[SESSION_COOKIE]
    session_id, _, signature = value.partition(".")
    settings = service.clients.settings
    forgeries = [
        f"{session_id}.{signature[::-1]}",  # the right id, a wrong signature
        session_id,  # no signature
        session_cookie(settings, new_session_id()).value,  # signed with our key, but no session has that id
    ]
    for forged in forgeries:
        service.client.cookies.set(SESSION_COOKIE, forged or "", domain="contextjson.test")
        assert_problem(await service.client.get("/api/account"), 401, "auth.login_required")
    service.client.cookies.set(SESSION_COOKIE, value, domain="contextjson.test")
    assert (await service.client.get("/api/account")).status_code == 200
    service.clients.settings.secret_key = "a-rotated-secret-key-ends-every-session"
    assert_problem(await service.client.get("/api/account"), 401, "auth.login_required")
