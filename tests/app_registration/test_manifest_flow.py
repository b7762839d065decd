"""First run: a service without App credentials registers its GitHub App through the App Manifest flow."""

from __future__ import annotations

import json
import re
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select

from app.app_registration.manifest import EVENTS, PERMISSIONS
from app.db.models import GitHubAppRegistration
from app.settings import Settings
from tests.conftest import Service, running_service
from tests.support.payloads import installation_payload

STATE_COOKIE = "contextjson_app_setup"


@pytest.fixture
def first_run(settings: Settings) -> Settings:
    """The test settings without any GitHub App credential (a newcomer's first `serve`)."""
    return settings.model_copy(
        update={
            "github_app_id": None,
            "github_app_private_key": None,
            "github_webhook_secret": None,
            "github_client_id": None,
            "github_client_secret": None,
        }
    )


def _form(page: str) -> tuple[str, dict[str, Any]]:
    """The register form's action and its manifest, as a browser would read them."""
    action = unescape(re.search(r'<form method="post" action="([^"]+)"', page).group(1))  # type: ignore[union-attr]
    manifest = unescape(re.search(r'name="manifest" value="([^"]+)"', page).group(1))  # type: ignore[union-attr]
    return action, json.loads(manifest)


async def _register(service: Service, page_path: str = "/") -> httpx.Response:
    """Open the page, post its form to the fake GitHub, and follow GitHub's redirect back to the service."""
    page = await service.client.get(page_path, headers={"accept": "text/html"})
    action, manifest = _form(page.text)
    async with httpx.AsyncClient() as browser:
        confirmed = await browser.post(action, data={"manifest": json.dumps(manifest)})
    assert confirmed.status_code == 302
    back = urlsplit(confirmed.headers["location"])
    return await service.client.get(f"{back.path}?{back.query}")


async def _stored(service: Service) -> list[GitHubAppRegistration]:
    async with service.clients.sessions() as session:
        return list((await session.execute(select(GitHubAppRegistration))).scalars())


async def test_home_offers_the_registration_with_the_readme_permissions(first_run: Settings, fake_github: Any) -> None:
    async with running_service(first_run) as service:
        page = await service.client.get("/", headers={"accept": "text/html"})
        assert page.status_code == 200 and "Register the GitHub App" in page.text
        action, manifest = _form(page.text)
        url = urlsplit(action)
        assert f"{url.scheme}://{url.netloc}" == fake_github.url and url.path == "/settings/apps/new"
        assert parse_qs(url.query)["state"] == [page.cookies[STATE_COOKIE]]
        assert manifest["default_permissions"] == PERMISSIONS and manifest["default_events"] == EVENTS
        assert manifest["hook_attributes"]["url"] == "http://contextjson.test/webhooks/github"
        assert manifest["redirect_url"] == "http://contextjson.test/setup/github-app/callback"
        assert manifest["callback_urls"] == ["http://contextjson.test/login/callback"]
        # The page may post its form to GitHub, and nowhere else.
        assert f"form-action 'self' {fake_github.url};" in page.headers["content-security-policy"]


async def test_the_flow_stores_the_app_sealed_and_continues_to_its_install_page(
    first_run: Settings, fake_github: Any
) -> None:
    async with running_service(first_run) as service:
        assert (await service.client.get("/healthz")).status_code == 200  # runs without credentials
        resp = await _register(service)
        assert resp.status_code == 303
        assert resp.headers["location"] == f"{fake_github.url}/apps/{fake_github.app_slug}/installations/new"
        [row] = await _stored(service)
        assert row.app_id == str(fake_github.app_id)
        assert "PRIVATE KEY" not in row.sealed_private_key and fake_github.registered_webhook_secret not in str(
            row.sealed_webhook_secret
        )
        assert "Register the GitHub App" not in (await service.client.get("/")).text
        refused = await service.client.get("/setup/github-app", headers={"accept": "application/json"})
        assert refused.status_code == 409 and refused.json()["code"] == "app_registration.exists"

        # The App works at once: a delivery signed with its new secret is accepted and processed as the App.
        repo = fake_github.add_repo("acme", "widgets", files={"README.md": "hi"})
        fake_github.add_installation(5150, "acme", [repo.id], account_type="Organization")
        payload = installation_payload("created", 5150, fake_github.account("acme"), [repo])
        assert (await service.send_webhook("installation", payload)).status_code == 401  # the old test secret
        signed = await service.send_webhook("installation", payload, secret=fake_github.registered_webhook_secret)
        assert signed.status_code == 202
        await service.drain_jobs()
        assert fake_github.find_requests("GET", r"/installation/repositories")  # called GitHub as the App

    async with running_service(first_run) as restarted:  # the next process reads the registration back
        assert restarted.clients.github.configured
        assert "Register the GitHub App" not in (await restarted.client.get("/")).text


async def test_a_callback_not_started_in_this_browser_stores_nothing(first_run: Settings, fake_github: Any) -> None:
    async with running_service(first_run) as service:
        page = await service.client.get("/")
        action, manifest = _form(page.text)
        async with httpx.AsyncClient() as browser:
            confirmed = await browser.post(action, data={"manifest": json.dumps(manifest)})
        back = urlsplit(confirmed.headers["location"])
        code = parse_qs(back.query)["code"][0]
        service.client.cookies.clear()  # another browser (an attacker's link) has no state cookie
        no_cookie = await service.client.get(f"{back.path}?code={code}&state=x", headers={"accept": "text/html"})
        assert no_cookie.status_code == 400 and "not started in this browser" in no_cookie.text
        service.client.cookies.set(STATE_COOKIE, "another-state", path="/setup/github-app")
        wrong = await service.client.get(f"{back.path}?{back.query}", headers={"accept": "application/json"})
        assert wrong.status_code == 400 and wrong.json()["code"] == "app_registration.failed"
        assert await _stored(service) == [] and not service.clients.github.configured
        assert not fake_github.find_requests("POST", r"/app-manifests/")  # the code was never spent


async def test_an_expired_or_used_code_is_a_clear_error(first_run: Settings, fake_github: Any) -> None:
    async with running_service(first_run) as service:
        page = await service.client.get("/")
        state = page.cookies[STATE_COOKIE]
        resp = await service.client.get(
            f"/setup/github-app/callback?code=stale&state={state}", headers={"accept": "text/html"}
        )
        assert resp.status_code == 400 and "Codes expire after an hour" in resp.text
        assert await _stored(service) == []


async def test_an_organisation_gets_its_own_form(first_run: Settings, fake_github: Any) -> None:
    async with running_service(first_run) as service:
        bad = await service.client.get("/setup/github-app?org=../x", headers={"accept": "application/json"})
        assert bad.status_code == 400 and bad.json()["code"] == "app_registration.organization"
        resp = await _register(service, "/setup/github-app?org=acme-corp")
        assert resp.status_code == 303
        assert fake_github.manifests[-1]["organization"] == "acme-corp"


async def test_environment_variables_win_over_a_registration(
    first_run: Settings, settings: Settings, fake_github: Any
) -> None:
    async with running_service(first_run) as service:
        assert (await _register(service)).status_code == 303
    env = settings.model_copy(update={"github_app_id": "4242", "github_webhook_secret": "from-env"})
    async with running_service(env) as service:
        credentials = service.clients.github.credentials
        assert credentials is not None
        assert (credentials.app_id, credentials.webhook_secret) == ("4242", "from-env")
        assert credentials.slug is None  # the stored App's details are not mixed into another App


async def test_a_registration_sealed_with_an_old_secret_key_can_be_replaced(
    first_run: Settings, fake_github: Any
) -> None:
    async with running_service(first_run) as service:
        assert (await _register(service)).status_code == 303
    rotated = first_run.model_copy(update={"secret_key": "a-new-secret-key-after-rotation"})
    async with running_service(rotated) as service:
        assert not service.clients.github.configured  # unreadable: the service says so and offers to register
        assert "Register the GitHub App" in (await service.client.get("/")).text
        assert (await _register(service)).status_code == 303
        [row] = await _stored(service)
        assert service.clients.github.configured and row.app_id == str(fake_github.app_id)


def test_the_readme_lists_what_the_manifest_asks_for() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert "Contents: read" in readme and PERMISSIONS["contents"] == "read"
    assert "Checks: read and write" in readme and PERMISSIONS["checks"] == "write"
    assert "Metadata: read" in readme and PERMISSIONS["metadata"] == "read"
    assert "Members: read" in readme and PERMISSIONS["members"] == "read"  # org admins' logins
    assert "Push and Repository" in readme and EVENTS == ["push", "repository"]
