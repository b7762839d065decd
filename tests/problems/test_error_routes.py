"""Every error the service answers, asked for as a browser, as an API client and with no preference.

Browsers (their Accept prefers text/html) get a full HTML page with the error's title; everyone else
(`*/*`, no Accept, `application/json`) gets one problem+json shape with the dotted code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from app.db.models import Repository
from app.settings import Settings
from tests import db
from tests.conftest import WEBHOOK_SECRET, Service
from tests.links.helpers import install_repo
from tests.support.problems import BROWSER_ACCEPT, assert_error_page, assert_problem
from tests.support.webhook_examples import sign_payload

# (Accept header or None for no header at all, whether an HTML page is expected)
ACCEPTS = [("*/*", False), (None, False), ("application/json", False), ("text/html", True), (BROWSER_ACCEPT, True)]
UNKNOWN = "doesnotexist123"
OVERSIZED = b'{"pad": "' + b"x" * (26 * 1024 * 1024) + b'"}'


def _webhook(body: bytes, *, signed: bool = True, **headers: str) -> dict[str, Any]:
    signature = sign_payload(WEBHOOK_SECRET, body) if signed else "sha256=" + "0" * 64
    base = {"X-GitHub-Event": "ping", "X-GitHub-Delivery": "d-1", "X-Hub-Signature-256": signature}
    return {"content": body, "headers": {**base, **headers}}


@dataclass(frozen=True)
class Case:
    id: str
    path: str  # "{result}": the id of an answer the setup made
    status: int
    code: str
    setup: str = "none"  # none | installed | answered | broke | private
    method: str = "GET"
    request: dict[str, Any] = field(default_factory=dict)
    headers: tuple[str, ...] = ()  # response headers that must be present

    @property
    def names_a_data_format(self) -> bool:
        """`/r/ID.json`, `.md`, `.txt`: JSON problems even for a browser."""
        return self.path.endswith((".json", ".md", ".txt"))


CASES = [
    # Visitor links
    Case("link-unknown-repo", "/nobody/nothing/context/explain", 404, "link.repo_not_found"),
    Case("link-bad-repo-name", "/nobody/no%20thing/context/explain", 404, "link.repo_not_found"),
    Case("link-bad-branch", "/acme/widgets/tree/a..b/context/explain", 400, "link.invalid_branch"),
    Case("link-bad-branch-encoding", "/acme/widgets/tree/%2e%2e/context/explain", 400, "link.invalid_branch"),
    Case("link-not-a-link", "/acme/widgets/tree/main", 404, "link.context_not_found"),
    Case("link-bad-context-id", "/acme/widgets/context/Not%20An%20Id", 404, "link.context_not_found"),
    Case("link-unknown-context", "/acme/widgets/context/nope", 404, "link.context_not_found", "installed"),
    Case("link-unknown-branch", "/acme/widgets/tree/nope/context/explain", 404, "link.branch_not_found", "installed"),
    Case("link-budget", "/acme/widgets/context/explain", 402, "link.budget_exhausted", "broke"),
    Case(
        "link-rate-limited", "/acme/widgets/context/api", 429, "link.rate_limited", "answered", headers=("retry-after",)
    ),
    Case("link-method", "/acme/widgets/context/explain", 405, "http.method_not_allowed", method="POST"),
    # Answers
    *(
        Case(f"result-unknown{suffix or '-page'}", f"/r/{UNKNOWN}{suffix}", 404, "results.not_found")
        for suffix in ("", ".json", ".txt", ".md", "/stream")
    ),
    Case("result-bad-id", "/r/bad!id", 404, "results.not_found"),
    Case("result-format", "/r/{result}.pdf", 404, "results.format", "answered"),
    *(
        # A private repository's answer, to a visitor who may not read it: as if it did not exist.
        Case(f"result-private{suffix or '-page'}", "/r/{result}" + suffix, 404, "results.not_found", "private")
        for suffix in ("", ".json", ".txt", ".md", "/stream")
    ),
    # Webhooks
    Case(
        "webhook-signature",
        "/webhooks/github",
        401,
        "webhooks.bad_signature",
        method="POST",
        request=_webhook(b"{}", signed=False),
    ),
    Case(
        "webhook-json",
        "/webhooks/github",
        400,
        "webhooks.malformed_json",
        method="POST",
        request=_webhook(b'{"zen": "unterminated'),
    ),
    Case(
        "webhook-headers",
        "/webhooks/github",
        400,
        "webhooks.headers",
        method="POST",
        request=_webhook(b"{}", **{"X-GitHub-Delivery": ""}),
    ),
    Case(
        "webhook-content-length",
        "/webhooks/github",
        400,
        "http.bad_request",
        method="POST",
        request={"content": b"{}", "headers": {"Content-Length": "two"}},
    ),
    Case(
        "webhook-oversized",
        "/webhooks/github",
        413,
        "webhooks.too_large",  # WEBHOOK_MAX_BODY_BYTES, named in the detail
        method="POST",
        request=_webhook(OVERSIZED),
    ),
    Case("webhook-method", "/webhooks/github", 405, "http.method_not_allowed", headers=("allow",)),
    # Everything else
    Case("unknown-route", "/no/such/page/here", 404, "http.not_found"),
    Case("unknown-route-root", "/nothing", 404, "http.not_found"),
    Case("livez-method", "/livez", 405, "http.method_not_allowed", method="DELETE", headers=("allow",)),
    Case(
        "metrics-remote", "/metrics", 403, "metrics.forbidden", request={"headers": {"X-Forwarded-For": "203.0.113.9"}}
    ),
]


@pytest.fixture
def database_url(sqlite_template: Path, tmp_path: Path) -> str:
    """SQLite only (overrides conftest's sqlite + PostgreSQL pair): rendering errors does not depend on the kind."""
    return db.sqlite_copy(sqlite_template, tmp_path)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # One new answer per visitor: the answered setup uses it, so the next new answer is refused (429).
    return settings.model_copy(update={"visitor_generations_per_hour": 1})


async def _prepare(service: Service, fake_github: Any, setup: str) -> dict[str, str]:
    if setup == "none":
        return {}
    installed = await install_repo(service, fake_github)
    if setup == "broke":
        await installed.set_balance(0)
    if setup in ("answered", "private"):
        result = await installed.click_and_finish()
        if setup == "private":  # as after a `repository.privatized` webhook
            async with service.clients.sessions() as session:
                await session.execute(update(Repository).values(private=True))
                await session.commit()
        return {"result": result["id"]}
    return {}


async def _send(service: Service, case: Case, path: str, accept: str | None) -> httpx.Response:
    request = service.client.build_request(case.method, path, **case.request)
    if accept is None:
        del request.headers["accept"]
    else:
        request.headers["accept"] = accept
    return await service.client.send(request)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_every_error_is_a_page_for_browsers_and_a_problem_for_the_rest(
    service: Service, fake_github: Any, fake_llm: Any, case: Case
) -> None:
    path = case.path.format(**await _prepare(service, fake_github, case.setup))
    for accept, html in ACCEPTS:
        resp = await _send(service, case, path, accept)
        for name in case.headers:
            assert resp.headers.get(name), (accept, name, resp.headers)
        assert resp.headers["vary"] == "Accept"
        if html and not case.names_a_data_format:
            assert_error_page(resp, case.status)
        else:
            body = assert_problem(resp, case.status, case.code)
            assert set(body) <= {"type", "title", "status", "detail", "code", "error", "retry_after"}, body


async def test_an_unexpected_failure_is_logged_and_answered_without_its_cause(
    service: Service, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> None:
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr(service.clients, "sessions", broken)
    case = Case("internal", f"/r/{UNKNOWN}", 500, "app.internal_error")
    with caplog.at_level("ERROR", logger="contextjson"):
        for accept, html in ACCEPTS:
            resp = await _send(service, case, case.path, accept)
            assert "hunter2" not in resp.text and "RuntimeError" not in resp.text
            if html:
                assert "<h1>Something went wrong</h1>" in assert_error_page(resp, 500)
            else:
                assert assert_problem(resp, 500, "app.internal_error")["detail"] == (
                    "Something went wrong on our side; it has been logged."
                )
    logged = [r for r in caplog.records if r.getMessage() == f"http.internal_error path=/r/{UNKNOWN}"]
    assert len(logged) == len(ACCEPTS) and all(r.exc_info for r in logged)
