"""Assertions on the service's error responses: one problem+json shape, one kind of HTML page."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.openapi import assert_matches_component, documented_response

# What Firefox and Chromium send when the user follows a link.
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
PROBLEM_MEMBERS = {"type", "title", "status", "detail", "code", "error"}
# Answered on any route (by routing, or for a bug), so no route documents them.
ANY_ROUTE = {"http.not_found", "http.method_not_allowed", "app.internal_error"}


def assert_problem(resp: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """An RFC 9457 problem document with the dotted code (and `error`, its compatibility alias)."""
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == "application/problem+json", resp.headers
    body: dict[str, Any] = resp.json()
    assert set(body) >= PROBLEM_MEMBERS, body
    assert (body["status"], body["code"], body["error"], body["type"]) == (status, code, code, "about:blank"), body
    assert isinstance(body["title"], str) and body["title"] and isinstance(body["detail"], str) and body["detail"]
    assert_matches_component(body, "ProblemDetails")  # the shape /schema documents
    if code not in ANY_ROUTE:  # and the route's OpenAPI operation names this code under this status
        documented = documented_response(resp.request.url.path, resp.request.method, status)
        assert documented is None or f"`{code}`" in documented["description"], (code, documented)
    return body


def assert_error_page(resp: httpx.Response, status: int) -> str:
    """A complete HTML page whose <title> and <h1> carry the error's title; returns the text."""
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("text/html"), resp.headers
    page = resp.text
    assert page.startswith("<!doctype html>") and page.rstrip().endswith("</html>"), page[:200]
    title = page.split("<h1>", 1)[1].split("</h1>", 1)[0]
    assert title and f"<title>{title} · contextjson</title>" in page, page[:400]
    return page
