"""Every HTML page carries the security headers (CSP with a per-response nonce, nosniff, Referrer-Policy,
frame-ancestors / X-Frame-Options) and needs nothing its policy forbids; every other response is nosniff."""

from __future__ import annotations

import re
from typing import Any

import httpx
from litestar.routes import HTTPRoute

from app.security_headers import add_missing
from tests.conftest import Service
from tests.links.helpers import install_repo

BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
NONCE = re.compile(r"'nonce-([A-Za-z0-9_-]{22,})'")
# A value for each kind of path parameter, so every route can be asked (most answer a refusal page).
PARAMETER_VALUES = {"str": "x", "int": "1", "path": "main/context/explain"}


def assert_strict_page(resp: httpx.Response) -> str:
    """An HTML page with every security header, nothing inline the policy would block; returns its nonce."""
    assert resp.headers["content-type"].startswith("text/html"), (resp.request.url, resp.headers)
    policy = resp.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["frame-ancestors"] == "'none'" and directives["default-src"] == "'none'"
    assert directives["base-uri"] == "'none'" and "unsafe" not in policy, policy
    nonce = NONCE.search(directives["script-src"])
    assert nonce is not None, policy
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert resp.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert resp.headers["x-frame-options"] == "DENY"
    # Nothing inline without the nonce: no inline scripts, styles or event handlers.
    for tag in re.findall(r"<script\b[^>]*>", resp.text):
        assert f'nonce="{nonce.group(1)}"' in tag, tag
    assert "<style" not in resp.text and " style=" not in resp.text
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", resp.text), "inline event handler"
    return nonce.group(1)


def _fill(path: str) -> str:
    return re.sub(r"\{[^}:]+:([a-z]+)\}", lambda m: PARAMETER_VALUES[m.group(1)], path)


async def test_every_route_answers_with_the_headers(service: Service, fake_github: Any) -> None:
    """Walk every route of the app with a browser's Accept: pages and error pages alike are strict."""
    await install_repo(service, fake_github)
    html_routes, asked = set(), 0
    for route in service.app.routes:
        assert isinstance(route, HTTPRoute)
        for method in sorted(route.methods - {"OPTIONS", "HEAD"}):
            resp = await service.client.request(method, _fill(route.path), headers=BROWSER)
            asked += 1
            assert resp.headers.get("x-content-type-options") == "nosniff", (method, route.path, resp.headers)
            if resp.headers.get("content-type", "").startswith("text/html"):
                assert_strict_page(resp)
                html_routes.add(route.path)
    assert asked >= len(service.app.routes) >= 20
    # The pages a browser lands on, and Litestar's own HTML (its /schema/{path} page) caught by the hook.
    assert {"/", "/r/{name:str}", "/{owner:str}/{repo:str}/context/{context_id:str}", "/schema/{path:str}"} <= (
        html_routes
    )


async def test_result_landing_and_error_pages_are_strict(service: Service, fake_github: Any) -> None:
    secret = fake_github.add_repo("acme", "secret-plans", private=True, files={"README.md": "plans"})
    installed = await install_repo(service, fake_github, extra_repos=[secret])
    result = await installed.click_and_finish()
    pages = {
        "result": await service.client.get(f"/r/{result['id']}", headers=BROWSER),
        "unknown answer": await service.client.get("/r/doesnotexist123", headers=BROWSER),
        "unknown link": await service.client.get("/acme/widgets/context/nope", headers=BROWSER),
        "refused link": await service.client.get("/acme/secret-plans/context/explain", headers=BROWSER),
        "unknown address": await service.client.get("/a/b/c/d/e/f", headers=BROWSER),
        "wrong method": await service.client.post("/", headers=BROWSER),
        "landing": await service.client.get("/", headers=BROWSER),
    }
    statuses = {name: page.status_code for name, page in pages.items()}
    assert statuses == {
        "result": 200,
        "unknown answer": 404,
        "unknown link": 404,
        "refused link": 404,  # a private repository: unknown to an anonymous visitor
        "unknown address": 404,
        "wrong method": 405,
        "landing": 200,
    }
    nonces = [assert_strict_page(page) for page in pages.values()]
    assert len(set(nonces)) == len(nonces)  # a fresh nonce for every response
    # The result page's one script is a file, and carries its response's nonce.
    assert f'<script src="/_static/result.js" nonce="{nonces[0]}" defer>' in pages["result"].text


async def test_data_images_and_files_are_nosniff(service: Service, fake_github: Any) -> None:
    installed = await install_repo(service, fake_github)
    result = await installed.click_and_finish()
    for path in (
        f"/r/{result['id']}.json",
        f"/r/{result['id']}.md",
        "/acme/widgets/context/explain/badge.svg",
        "/healthz",
        "/schema/openapi.json",
        "/_static/result.js",
        "/_static/contextjson.css",
    ):
        resp = await service.client.get(path)
        assert resp.status_code == 200 and resp.headers["x-content-type-options"] == "nosniff", path
        assert "content-security-policy" not in resp.headers, path  # a policy is for pages, not data


async def test_the_hook_keeps_what_a_page_set() -> None:
    """An HTML response that already has its policy keeps it; one without gets the whole set."""
    own = {
        "type": "http.response.start",
        "headers": [(b"content-type", b"text/html"), (b"content-security-policy", b"x")],
    }
    await add_missing(own, {})
    assert own["headers"] == [
        (b"content-type", b"text/html"),
        (b"content-security-policy", b"x"),
        (b"x-content-type-options", b"nosniff"),
    ]
    bare = {"type": "http.response.start", "headers": [(b"content-type", b"text/html; charset=utf-8")]}
    await add_missing(bare, {})
    names = [name for name, _ in bare["headers"]]
    assert names.count(b"x-content-type-options") == 1
    assert {b"content-security-policy", b"referrer-policy", b"x-frame-options"} <= set(names)
    body = {"type": "http.response.body", "body": b"<p>"}
    await add_missing(body, {})
    assert body == {"type": "http.response.body", "body": b"<p>"}


async def test_static_files_are_served_and_cached(service: Service) -> None:
    css = await service.client.get("/_static/contextjson.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "max-age=3600" in css.headers["cache-control"]
    assert (await service.client.get("/_static/../app.py")).status_code == 404
    assert (await service.client.get("/_static/%2e%2e/pages.py")).status_code == 404
