"""Every HTML page carries a strict Content-Security-Policy, and needs nothing it forbids."""

from __future__ import annotations

import re
from typing import Any

from tests.conftest import Service
from tests.links.helpers import install_repo

BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def _assert_strict_page(resp: Any) -> None:
    assert resp.headers["content-type"].startswith("text/html")
    policy = resp.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    assert resp.headers["x-content-type-options"] == "nosniff"
    # Nothing inline that the policy would block: no inline scripts, styles or event handlers.
    assert not re.search(r"<script(?![^>]*\bsrc=)", resp.text), "inline <script>"
    assert "<style" not in resp.text and " style=" not in resp.text
    assert not re.search(r"\son[a-z]+=", resp.text), "inline event handler"


async def test_result_error_and_landing_pages_are_strict(service: Service, fake_github: Any) -> None:
    installed = await install_repo(service, fake_github)
    result = await installed.click_and_finish()
    pages = [
        await service.client.get(f"/r/{result['id']}", headers=BROWSER),
        await service.client.get("/r/doesnotexist123", headers=BROWSER),
        await service.client.get("/acme/widgets/context/nope", headers=BROWSER),
        await service.client.get("/", headers=BROWSER),
    ]
    assert [p.status_code for p in pages] == [200, 404, 404, 200]
    for page in pages:
        _assert_strict_page(page)


async def test_static_files_are_served_and_cached(service: Service) -> None:
    css = await service.client.get("/_static/contextjson.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "max-age=3600" in css.headers["cache-control"]
    assert (await service.client.get("/_static/../app.py")).status_code == 404
    assert (await service.client.get("/_static/%2e%2e/pages.py")).status_code == 404
