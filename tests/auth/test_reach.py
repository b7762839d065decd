"""Which accounts a user reaches, as GitHub says (cached a few minutes), and when GitHub stops vouching."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.auth.reach import REACH_TTL
from app.db.models import utcnow
from tests.auth.helpers import change_sessions, install, log_in, web_sessions
from tests.conftest import Service
from tests.support.problems import assert_problem


def _installation_lists(fake_github: Any) -> int:
    return len(fake_github.find_requests("GET", r"^/user/installations$"))


async def _age_reach(service: Service) -> None:
    await change_sessions(service, reach_checked_at=utcnow() - REACH_TTL - timedelta(seconds=1))


async def test_what_github_said_is_kept_a_few_minutes_then_asked_again(service: Service, fake_github: Any) -> None:
    await install(service, fake_github, 101, "alice")
    await log_in(service, fake_github, "alice")
    asked = _installation_lists(fake_github)
    assert asked == 1

    # A new organisation installation that alice administers: not seen until the cached answer is old.
    fake_github.oauth.add_member("octo-org", "alice", role="admin")
    await install(service, fake_github, 202, "octo-org", "Organization")
    for _ in range(3):
        assert_problem(await service.client.get("/api/account?account=octo-org"), 404, "account.not_found")
    assert _installation_lists(fake_github) == asked

    await _age_reach(service)
    resp = await service.client.get("/api/account?account=octo-org")
    assert resp.status_code == 200 and resp.json()["login"] == "octo-org"
    assert _installation_lists(fake_github) == asked + 1
    [stored] = await web_sessions(service)
    assert stored.reach == sorted([fake_github.account("alice").id, fake_github.account("octo-org").id])


async def test_a_user_who_revoked_the_app_is_logged_out_at_the_next_check(service: Service, fake_github: Any) -> None:
    await install(service, fake_github, 101, "alice")
    await log_in(service, fake_github, "alice")
    fake_github.oauth.revoke("alice")
    assert (await service.client.get("/api/account")).status_code == 200  # still within the cached answer

    await _age_reach(service)
    assert_problem(await service.client.get("/api/account"), 401, "auth.login_required")
    assert await web_sessions(service) == []


async def test_github_down_keeps_the_last_answer_for_a_while(service: Service, fake_github: Any) -> None:
    await install(service, fake_github, 101, "alice")
    await log_in(service, fake_github, "alice")
    await _age_reach(service)
    fake_github.fail_next("GET", r"^/user/installations$", 502, times=5)

    assert (await service.client.get("/api/account")).status_code == 200
    assert (await service.client.get("/api/account")).status_code == 200
    assert _installation_lists(fake_github) == 2  # the failure counts as an answer until REACH_TTL passes
    [stored] = await web_sessions(service)
    assert stored.reach == [fake_github.account("alice").id]


async def test_expiring_user_tokens_are_renewed_and_the_new_refresh_token_kept(
    service: Service, fake_github: Any
) -> None:
    """A GitHub App's user tokens expire (8 hours) and each refresh token works once: each renewal is stored."""
    fake_github.oauth.token_lifetime = timedelta(seconds=30)  # shorter than authlib's leeway: renewed at each use
    await install(service, fake_github, 101, "alice")
    await log_in(service, fake_github, "alice")
    for _ in range(3):
        await _age_reach(service)
        assert (await service.client.get("/api/account")).status_code == 200
    renewals = fake_github.find_requests("POST", r"^/login/oauth/access_token$")
    assert len(renewals) >= 4  # the code exchange, then at least one renewal per check
    [stored] = await web_sessions(service)
    assert stored.reach == [fake_github.account("alice").id]
