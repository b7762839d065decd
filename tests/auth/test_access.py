"""A user reaches exactly their own account and the organisations they administer; anonymous users nothing."""

from __future__ import annotations

from typing import Any

from tests.auth.helpers import install, log_in
from tests.conftest import Service
from tests.support.openapi import assert_matches_component
from tests.support.payloads import installation_payload
from tests.support.problems import BROWSER_ACCEPT, assert_problem


async def test_a_user_reads_their_own_account_and_never_another(service: Service, fake_github: Any) -> None:
    await install(service, fake_github, 101, "alice")
    await install(service, fake_github, 102, "bob")
    await log_in(service, fake_github, "alice")

    own = await service.client.get("/api/account")
    assert own.status_code == 200 and own.json()["login"] == "alice"
    assert_matches_component(own.json(), "AccountSummary")
    assert (await service.client.get("/api/account?account=ALICE")).json()["login"] == "alice"

    # Bob's account exists; a name nobody has does not: both answer the same, so neither is confirmed.
    bobs = assert_problem(await service.client.get("/api/account?account=bob"), 404, "account.not_found")
    nobody = assert_problem(await service.client.get("/api/account?account=nobody"), 404, "account.not_found")
    assert bobs["detail"].replace("bob", "X") == nobody["detail"].replace("nobody", "X")
    page = await service.client.get("/dashboard")
    assert ">alice<" in page.text and "bob" not in page.text


async def test_organisations_are_reached_by_their_admins_only(service: Service, fake_github: Any) -> None:
    await install(service, fake_github, 301, "octo-org", "Organization")
    fake_github.oauth.add_member("octo-org", "alice", role="admin")
    fake_github.oauth.add_member("octo-org", "bob", role="member")

    await log_in(service, fake_github, "bob")
    assert_problem(await service.client.get("/api/account?account=octo-org"), 404, "account.not_found")
    assert_problem(await service.client.get("/api/account"), 404, "account.not_found")  # bob has no account

    await log_in(service, fake_github, "alice")
    resp = await service.client.get("/api/account")  # alice's only account, so the default
    assert resp.status_code == 200 and resp.json()["login"] == "octo-org"


async def test_an_installation_github_lists_for_a_collaborator_is_not_theirs(
    service: Service, fake_github: Any
) -> None:
    """GitHub lists another user's installation to its collaborators; that does not make its budget theirs."""
    await install(service, fake_github, 101, "alice")
    fake_github.oauth.list_installation_for("carol", 101)
    await log_in(service, fake_github, "carol")
    assert_problem(await service.client.get("/api/account?account=alice"), 404, "account.not_found")
    page = await service.client.get("/dashboard")
    assert page.status_code == 200 and "Install the GitHub App" in page.text and "alice" not in page.text


async def test_several_accounts_and_none_of_them_ones_own_must_be_chosen(service: Service, fake_github: Any) -> None:
    for installation_id, org in ((401, "org-one"), (402, "org-two")):
        await install(service, fake_github, installation_id, org, "Organization")
        fake_github.oauth.add_member(org, "alice", role="admin")
    await log_in(service, fake_github, "alice")
    body = assert_problem(await service.client.get("/api/account"), 400, "account.not_chosen")
    assert "org-one, org-two" in body["detail"]
    assert (await service.client.get("/api/account?account=org-two")).json()["login"] == "org-two"
    page = await service.client.get("/dashboard")
    assert page.text.index(">org-one<") < page.text.index(">org-two<")


async def test_anonymous_api_calls_get_401_and_pages_go_to_login(service: Service) -> None:
    api = await service.client.get("/api/account")
    assert_problem(api, 401, "auth.login_required")
    assert api.headers["www-authenticate"].startswith("Bearer")
    page = await service.client.get("/dashboard", headers={"Accept": BROWSER_ACCEPT})
    assert (page.status_code, page.headers["location"]) == (303, "/login?next=/dashboard")


async def test_operators_are_flagged_but_reach_no_more_accounts(service: Service, fake_github: Any) -> None:
    service.clients.settings.operator_logins = "ops-team, Alice"
    await install(service, fake_github, 101, "alice")
    await install(service, fake_github, 102, "bob")
    await log_in(service, fake_github, "alice")
    assert "Signed in as <strong>alice</strong> · operator" in (await service.client.get("/dashboard")).text
    assert_problem(await service.client.get("/api/account?account=bob"), 404, "account.not_found")

    await log_in(service, fake_github, "bob")
    assert "· operator" not in (await service.client.get("/dashboard")).text


async def test_a_new_owner_is_shown_how_to_install_the_app(service: Service, fake_github: Any) -> None:
    await log_in(service, fake_github, "newcomer")
    page = await service.client.get("/dashboard")
    assert page.status_code == 200 and page.headers["cache-control"] == "private, no-store"
    assert "Install the GitHub App" in page.text
    assert f'href="{fake_github.url}/apps/{fake_github.app_slug}/installations/new"' in page.text


# The owner pages and settings routes of a repository: (method, path, form or JSON body, what its owner gets).
_REPO_PAGES = [
    ("GET", "/dashboard/repos/alice/tools", None, 200),
    ("POST", "/dashboard/repos/alice/tools/cap", {"monthly_cap_usd": "3"}, 303),
    ("POST", "/dashboard/repos/alice/tools/contexts/explain/pause", {"paused": "1"}, 303),
]
_REPO_API = [
    ("GET", "/api/repos?account=alice", None, 200),
    ("GET", "/api/usage.csv?account=alice", None, 200),
    ("PATCH", "/api/repos/alice/tools", {"monthly_cap_usd": "3"}, 200),
    ("PATCH", "/api/repos/alice/tools/contexts/explain", {"paused": True}, 200),
]


async def _send(service: Service, method: str, path: str, body: Any, token: str | None) -> Any:
    if path.startswith("/api/"):
        headers = {"x-csrf-token": token} if token else {}
        return await service.client.request(method, path, json=body, headers=headers)
    data = {**body, "csrf_token": token} if body is not None and token else body
    return await service.client.request(method, path, data=data, headers={"Accept": BROWSER_ACCEPT})


async def _token(service: Service) -> str:
    page = (await service.client.get("/dashboard")).text
    return page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


async def test_repository_pages_and_settings_are_the_owners_alone(service: Service, fake_github: Any) -> None:
    repo = fake_github.add_repo("alice", "tools", files={"context.json": '{"context": {"explain": {"summary": "S"}}}'})
    fake_github.add_installation(101, "alice", [repo.id])
    payload = installation_payload("created", 101, fake_github.account("alice"), [repo])
    assert (await service.send_webhook("installation", payload)).status_code == 202
    await service.drain_jobs()
    await install(service, fake_github, 102, "bob")

    for method, path, body, _ in [*_REPO_PAGES, *_REPO_API]:  # anonymous
        resp = await _send(service, method, path, body, None)
        if path.startswith("/api/"):
            assert_problem(resp, 401, "auth.login_required")
        else:
            assert resp.status_code == 303 and resp.headers["location"].startswith("/login"), (method, path)

    await log_in(service, fake_github, "bob")  # signed in, guessing alice's names
    token = await _token(service)
    for method, path, body, _ in [*_REPO_PAGES, *_REPO_API]:
        resp = await _send(service, method, path, body, token)
        assert resp.status_code == 404, (method, path, resp.status_code)
        assert "tools" not in resp.text or "that you can see" in resp.text  # nothing of it beyond the name asked

    await log_in(service, fake_github, "alice")
    token = await _token(service)
    for method, path, body, owners in [*_REPO_PAGES, *_REPO_API]:
        if method != "GET":  # a change needs the session's CSRF token
            assert (await _send(service, method, path, body, None)).status_code == 403, (method, path)
        assert (await _send(service, method, path, body, token)).status_code == owners, (method, path)
