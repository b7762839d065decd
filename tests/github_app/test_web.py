"""GitHub's web host and page addresses, derived from the API URL."""

from __future__ import annotations

import pytest

from github_app.web import app_install_url, blob_url, tree_url, web_url


@pytest.mark.parametrize(
    ("api", "web"),
    [
        ("https://api.github.com", "https://github.com"),
        ("https://api.github.com/", "https://github.com"),
        ("https://ghe.example.com/api/v3", "https://ghe.example.com"),
        ("https://ghe.example.com/api/v3/", "https://ghe.example.com"),
        ("https://api.acme.ghe.com", "https://acme.ghe.com"),
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765"),
    ],
)
def test_web_host_of_an_api_url(api: str, web: str) -> None:
    assert web_url(api) == web


def test_page_addresses_are_quoted() -> None:
    web = "https://github.com"
    assert tree_url(web, "acme/widgets", "abc123") == "https://github.com/acme/widgets/tree/abc123"
    assert (
        blob_url(web, "acme/widgets", "abc", "src/a b#?.py")
        == "https://github.com/acme/widgets/blob/abc/src/a%20b%23%3F.py"
    )
    assert app_install_url(web, "my-app") == "https://github.com/apps/my-app/installations/new"
