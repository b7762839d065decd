"""Where a login returns to (a local path, never another site), and where GitHub's login pages are."""

from __future__ import annotations

from typing import Any

import pytest

from app.auth.next_path import DEFAULT_NEXT, safe_next
from github_app.web import web_url
from tests.auth.helpers import log_in, query_of
from tests.conftest import Service

OPEN_REDIRECTS = [
    "https://evil.example/",
    "http://evil.example",
    "//evil.example",
    "//evil.example/dashboard",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/dash\rboard",
    "/%0d%0aSet-Cookie:x=1".replace("%0d%0a", "\r\n"),
    "javascript:alert(1)",
    "dashboard",
    "",
    " /dashboard",
    "/dashboard\x00",
    "/dashboard\x7f",
    "/caf\u00e9",
    "/login?next=//evil.example",
    "/logout",
    "/" + "a" * 3000,
]


@pytest.mark.parametrize("attempt", OPEN_REDIRECTS)
def test_anything_but_a_plain_local_path_goes_to_the_dashboard(attempt: str) -> None:
    assert safe_next(attempt) == DEFAULT_NEXT


@pytest.mark.parametrize(
    "path", ["/dashboard", "/dashboard/repos/octo/hello?from=2026-01-01&to=2026-01-31", "/", "/r/abc#top", "/a%2F%2Fb"]
)
def test_local_paths_are_kept(path: str) -> None:
    assert safe_next(path) == path


@pytest.mark.parametrize("attempt", ["//evil.example", "https://evil.example/x", "/\\evil.example", "/\t/evil.example"])
async def test_a_login_never_returns_to_another_site(service: Service, fake_github: Any, attempt: str) -> None:
    done = await log_in(service, fake_github, "alice", attempt)
    assert done.headers["location"] == "/dashboard"


async def test_a_login_returns_to_the_page_it_was_asked_from(service: Service, fake_github: Any) -> None:
    anonymous = await service.client.get("/dashboard", params={"account": "octo-org"})
    assert anonymous.status_code == 303
    login_url = anonymous.headers["location"]
    assert query_of(login_url) == {"next": "/dashboard?account=octo-org"}
    done = await log_in(service, fake_github, "alice", query_of(login_url)["next"])
    assert done.headers["location"] == "/dashboard?account=octo-org"


@pytest.mark.parametrize(
    ("api_url", "web"),
    [
        ("https://api.github.com", "https://github.com"),
        ("https://api.github.com/", "https://github.com"),
        ("https://ghe.example/api/v3", "https://ghe.example"),
        ("https://ghe.example/api/v3/", "https://ghe.example"),
        ("https://ghe.example:8443/api/v3", "https://ghe.example:8443"),
        ("https://api.octocorp.ghe.com", "https://octocorp.ghe.com"),
        ("http://127.0.0.1:48123", "http://127.0.0.1:48123"),
    ],
)
def test_github_login_pages_are_on_the_web_host_of_the_api(api_url: str, web: str) -> None:
    assert web_url(api_url) == web
