"""Who reaches the operator view: operators (OPERATOR_LOGINS, any case) only. Owners and other users get the
404 of an address that serves nothing, anonymous visitors the login; and operators reach no owner's own pages."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.auth.helpers import install, log_in
from tests.conftest import Service
from tests.operator.helpers import adjust_api, adjust_form, log_in_operator, page_token
from tests.support.problems import BROWSER_ACCEPT, assert_error_page, assert_problem
from tests.topups.helpers import ledger, money

PAGES = ["/dashboard/operator", "/dashboard/operator/accounts/alice"]
FORM = "/dashboard/operator/accounts/alice/adjustments"
API_READ = "/api/operator/accounts"
API_WRITE = "/api/operator/accounts/alice/adjustments"


async def _every_route(service: Service, token: str | None) -> list[httpx.Response]:
    """Each operator route once, as a browser (pages, the form) and as an API client would call it."""
    browser = {"Accept": BROWSER_ACCEPT}
    answers = [await service.client.get(path, headers=browser) for path in PAGES]
    answers.append(await adjust_form(service, "alice", token, accept=BROWSER_ACCEPT))
    answers.append(await service.client.get(API_READ))
    answers.append(await adjust_api(service, "alice", token))
    return answers


@pytest.fixture
async def alice(service: Service, fake_github: Any) -> int:
    account_id = await install(service, fake_github, 101, "alice")
    await install(service, fake_github, 102, "bob")
    return account_id


async def test_anonymous_visitors_are_sent_to_log_in(service: Service, alice: int) -> None:
    service.clients.settings.operator_logins = "ops-lead"
    page, account_page, form, api_read, api_write = await _every_route(service, None)
    assert (page.status_code, page.headers["location"]) == (303, "/login?next=/dashboard/operator")
    assert account_page.headers["location"] == "/login?next=/dashboard/operator/accounts/alice"
    assert (form.status_code, form.headers["location"]) == (303, "/login")  # a login cannot resend the form
    assert_problem(api_read, 401, "auth.login_required")
    assert_problem(api_write, 401, "auth.login_required")
    assert await money(service.clients.sessions, alice) == (5_000_000, 5_000_000)


@pytest.mark.parametrize("who", ["alice", "mallory"])  # the account's owner; a user with no account at all
async def test_everyone_else_signed_in_finds_nothing_there(
    service: Service, fake_github: Any, alice: int, who: str
) -> None:
    service.clients.settings.operator_logins = "ops-lead"
    await log_in(service, fake_github, who)
    token = await page_token(service)
    unknown = await service.client.get("/dashboard/no-such-page", headers={"Accept": BROWSER_ACCEPT})
    for with_token in (token, None, "forged"):  # without a token too: no 403 tells them a form is there
        page, account_page, form, api_read, api_write = await _every_route(service, with_token)
        for answer in (page, account_page, form):
            assert assert_error_page(answer, 404) == assert_error_page(unknown, 404)
        assert_problem(api_read, 404, "http.not_found")
        assert_problem(api_write, 404, "http.not_found")
    assert "Operator view" not in (await service.client.get("/dashboard")).text
    assert [entry[:2] for entry in await ledger(service.clients.sessions, alice)] == [("credit", 5_000_000)]


async def test_operators_reach_every_route(service: Service, fake_github: Any, alice: int) -> None:
    await log_in_operator(service, fake_github, "ops-lead")
    dashboard = await service.client.get("/dashboard")
    assert '<a href="/dashboard/operator">Operator view</a>' in dashboard.text
    token = await page_token(service)
    page, account_page, form, api_read, api_write = await _every_route(service, token)
    assert page.status_code == account_page.status_code == 200
    assert page.headers["cache-control"] == "private, no-store"
    assert (form.status_code, form.headers["location"].split("?")[0]) == (303, "/dashboard/operator/accounts/alice")
    assert api_read.status_code == 200 and api_write.status_code == 201, api_write.text
    assert await money(service.clients.sessions, alice) == (7_000_000, 7_000_000)  # the form's $1 and the API's $1


async def test_operator_logins_match_in_any_case(service: Service, fake_github: Any, alice: int) -> None:
    service.clients.settings.operator_logins = "Ops-Lead"
    await log_in(service, fake_github, "OPS-LEAD")
    assert (await service.client.get(API_READ)).status_code == 200
    await log_in(service, fake_github, "ops-lead-2")  # a prefix is not a match
    assert_problem(await service.client.get(API_READ), 404, "http.not_found")


async def test_changes_need_the_sessions_csrf_token(service: Service, fake_github: Any, alice: int) -> None:
    await log_in_operator(service, fake_github)
    token = await page_token(service, "/dashboard/operator/accounts/alice")
    for sent in (None, "", "x" * len(token)):
        assert_problem(await adjust_form(service, "alice", sent), 403, "auth.csrf_failed")
        assert_problem(await adjust_api(service, "alice", sent), 403, "auth.csrf_failed")
    assert await money(service.clients.sessions, alice) == (5_000_000, 5_000_000)
    assert (await adjust_form(service, "alice", token, amount_usd="2")).status_code == 303
    assert (await adjust_api(service, "alice", token, amount_usd="3")).status_code == 201
    assert await money(service.clients.sessions, alice) == (10_000_000, 10_000_000)


async def test_operators_reach_no_owner_pages_but_their_own(service: Service, fake_github: Any, alice: int) -> None:
    """Being an operator is the operator view, nothing more: alice's owner pages and API stay hers."""
    await install(service, fake_github, 103, "ops-lead")
    await log_in_operator(service, fake_github, "ops-lead")
    token = await page_token(service)
    for path in ("/api/account?account=alice", "/api/account/ledger?account=alice", "/api/usage?account=alice"):
        assert_problem(await service.client.get(path), 404, "account.not_found")
    topup = await service.client.post(
        "/api/account/topup?account=alice", json={"amount_usd": "10"}, headers={"X-CSRF-Token": token}
    )
    assert_problem(topup, 404, "account.not_found")
    billing = await service.client.get("/dashboard/billing?account=alice", headers={"Accept": BROWSER_ACCEPT})
    assert billing.status_code == 404
    assert (await service.client.get("/api/account")).json()["login"] == "ops-lead"  # their own, as any owner
    listing = (await service.client.get("/dashboard/operator")).text
    assert 'href="/dashboard/operator/accounts/alice"' in listing and "/dashboard/billing?account=alice" not in listing
