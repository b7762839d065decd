"""Login with GitHub over HTTP through the fake GitHub: the happy path, and each way a login is refused."""

from __future__ import annotations

from typing import Any

import httpx

from app.auth.cookies import SESSION_COOKIE, STATE_COOKIE
from tests.auth.helpers import install, log_in, login_trip, query_of, set_cookies, web_sessions
from tests.conftest import Service
from tests.support.problems import BROWSER_ACCEPT, assert_error_page, assert_problem


async def test_a_login_goes_to_github_and_back_and_opens_a_session(service: Service, fake_github: Any) -> None:
    await install(service, fake_github, 101, "alice")
    trip = await login_trip(service, fake_github, "alice", "/dashboard?tab=billing")

    # Off to the fake's web host (the same host as its API), asking for our callback, with a state.
    authorize = trip.start.headers["location"]
    assert authorize.startswith(f"{fake_github.url}/login/oauth/authorize?")
    asked = query_of(authorize)
    assert asked["client_id"] == fake_github.oauth.client_id
    assert asked["redirect_uri"] == "http://contextjson.test/login/callback"
    assert len(asked["state"]) >= 32 and asked["state"] not in set_cookies(trip.start)[STATE_COOKIE]
    assert trip.start.headers["cache-control"] == "no-store"
    assert query_of(trip.callback_url)["state"] == asked["state"]

    # Back here: a session cookie, the state cookie gone, and on to `next`.
    assert trip.callback.status_code == 303
    assert trip.callback.headers["location"] == "/dashboard?tab=billing"
    cookies = set_cookies(trip.callback)
    assert "Max-Age=0" in cookies[STATE_COOKIE]
    [stored] = await web_sessions(service)
    assert stored.login == "alice" and stored.github_user_id == fake_github.account("alice").id
    # The database holds neither the cookie's id nor the GitHub token in the clear.
    session_id = service.client.cookies[SESSION_COOKIE].split(".")[0]
    assert session_id not in stored.id_hash and len(stored.id_hash) == 64
    [github_token] = fake_github.oauth.tokens
    assert github_token not in stored.token_encrypted and "ghu_" not in stored.token_encrypted

    page = await service.client.get("/dashboard")
    assert page.status_code == 200
    assert "Signed in as <strong>alice</strong>" in page.text and 'data-usd="5.000000">$5.00<' in page.text
    account = await service.client.get("/api/account")
    assert account.json() == {
        "login": "alice",
        "balance_usd": "5.000000",
        "reserved_usd": "0.000000",
        "spent_this_month_usd": "0.000000",
    }


async def test_a_callback_whose_state_does_not_match_is_refused(service: Service, fake_github: Any) -> None:
    trip_start = await service.client.get("/login")
    fake_github.oauth.sign_in_as("alice")
    async with httpx.AsyncClient() as browser:
        authorize = await browser.get(trip_start.headers["location"])
    code = query_of(authorize.headers["location"])["code"]

    forged = await service.client.get("/login/callback", params={"code": code, "state": "not-the-state"})
    assert_problem(forged, 400, "login.state_mismatch")
    no_state = await service.client.get("/login/callback", params={"code": code})
    assert_problem(no_state, 400, "login.state_mismatch")
    assert await web_sessions(service) == []
    # The code was never spent: the refusals came before any call to GitHub.
    assert code in fake_github.oauth.codes


async def test_a_callback_in_another_browser_is_refused(service: Service, fake_github: Any) -> None:
    """An attacker's own callback URL (with their code and state) opened in a victim's browser logs nobody in."""
    trip = await login_trip(service, fake_github, "mallory")
    assert trip.callback.status_code == 303
    service.client.cookies.clear()
    replay = await service.client.get(trip.callback_url.removeprefix("http://contextjson.test"))
    assert_problem(replay, 400, "login.state_mismatch")
    assert SESSION_COOKIE not in service.client.cookies


async def test_cancelling_on_github_shows_a_page_that_says_so(service: Service, fake_github: Any) -> None:
    trip = await login_trip(service, fake_github, None, "/dashboard")
    assert query_of(trip.callback_url)["error"] == "access_denied"
    assert_problem(trip.callback, 403, "login.denied")
    state = query_of(trip.callback_url)["state"]
    page = await service.client.get(
        "/login/callback", params={"error": "access_denied", "state": state}, headers={"Accept": BROWSER_ACCEPT}
    )
    text = assert_error_page(page, 403)
    assert "You cancelled the login on GitHub" in text and 'href="/login?next=/dashboard"' in text
    assert await web_sessions(service) == []


async def test_without_oauth_credentials_login_says_what_to_set(service: Service) -> None:
    service.clients.settings.github_client_secret = None
    resp = await service.client.get("/login", headers={"Accept": BROWSER_ACCEPT})
    text = assert_error_page(resp, 503)
    assert "GITHUB_CLIENT_SECRET" in text and "Login with GitHub is not configured" in text
    assert_problem(await service.client.get("/login"), 503, "login.not_configured")


async def test_github_failing_the_code_exchange_is_a_clear_502(service: Service, fake_github: Any) -> None:
    fake_github.fail_next("POST", r"^/login/oauth/access_token$", 500)
    trip = await login_trip(service, fake_github, "alice")
    body = assert_problem(trip.callback, 502, "login.github_failed")
    assert "GitHub did not complete the login" in body["title"]
    assert await web_sessions(service) == []


async def test_a_spent_code_is_refused_by_github_and_asks_to_log_in_again(service: Service, fake_github: Any) -> None:
    trip = await login_trip(service, fake_github, "alice")
    fake_github.oauth.codes.clear()  # as if the callback was reloaded after GitHub had taken the code back
    again = await service.client.get("/login", params={"next": "/dashboard"})
    state = query_of(again.headers["location"])["state"]
    code = query_of(trip.callback_url)["code"]
    resp = await service.client.get("/login/callback", params={"code": code, "state": state})
    assert_problem(resp, 400, "login.state_mismatch")
    assert (await log_in(service, fake_github, "alice")).headers["location"] == "/dashboard"
