"""/schema/openapi.json is a valid OpenAPI 3.1 document that says what each route answers, and the bodies agree."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from openapi_spec_validator import validate

from app.app import create_app
from app.settings import Settings
from tests import db
from tests.support.openapi import assert_matches_component, component, openapi_document
from tests.support.problems import PROBLEM_MEMBERS, assert_problem

DEFAULT_BRANCH_LINK = "/{owner}/{repo}/context/{context_id}"
BRANCH_LINK = "/{owner}/{repo}/tree/{rest}"  # also serves the branch's badge
BADGE = "/{owner}/{repo}/context/{context_id}/badge.svg"
PROBLEM = {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}
# Error statuses whose body is not a problem: a failed readiness probe says which part failed.
NOT_PROBLEMS = {("/healthz", "get", "503")}
# The OpenAI-compatible routes answer errors in OpenAI's shape, which its SDKs read.
OPENAI_ROUTES = {("/v1/chat/completions", "post"), ("/chat/completions", "post"), ("/v1/models", "get")}
_CONTEXT = "/{owner}/{repo}/context/{context_id}"
# Every context's base URL (app.context_api): OpenAI's error shape too.
OPENAI_ROUTES |= {
    *((f"{_CONTEXT}{suffix}", "post") for suffix in ("/chat/completions", "/v1/chat/completions")),
    *((f"{_CONTEXT}{suffix}", "get") for suffix in ("/v1", "/chat/completions", "/v1/chat/completions")),
    *((f"{_CONTEXT}{suffix}", "get") for suffix in ("/models", "/v1/models")),
    ("/{owner}/{repo}/tree/{rest}", "post"),
    (f"{_CONTEXT}/mcp", "post"),
    (f"{_CONTEXT}/mcp", "get"),
}
OPENAI_ERROR = {"schema": {"$ref": "#/components/schemas/OpenAIError"}}
METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


@pytest.fixture
def database_url(sqlite_template: Path, tmp_path: Path) -> str:
    """SQLite only (overrides conftest's sqlite + PostgreSQL pair): the document does not depend on it."""
    return db.sqlite_copy(sqlite_template, tmp_path)


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://contextjson.test") as http:
            yield http


@pytest.fixture
async def document(client: httpx.AsyncClient) -> dict[str, Any]:
    resp = await client.get("/schema/openapi.json")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("application/")
    body: dict[str, Any] = resp.json()
    return body


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def _schemas(response: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each content type's schema (examples left out)."""
    return {media_type: {"schema": media["schema"]} for media_type, media in response["content"].items()}


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    prefix = "#/components/schemas/"
    assert ref.startswith(prefix), ref
    resolved: dict[str, Any] = document["components"]["schemas"][ref.removeprefix(prefix)]
    return resolved


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    validate(document)  # raises on any violation of the OpenAPI 3.1 schema
    assert document["openapi"].startswith("3.1")
    assert document == openapi_document()  # what the other tests check bodies against


def test_every_json_answer_has_a_schema_with_properties(document: dict[str, Any]) -> None:
    documented = set()
    for path, method, operation in _operations(document):
        for status, response in operation["responses"].items():
            content = (response.get("content") or {}).get("application/json")
            if content is None:
                continue
            documented.add((path, method, status))
            schema = _resolve(document, content.get("schema") or {})
            if schema.get("type") == "array":  # a list answer: its items are what must be documented
                schema = _resolve(document, schema.get("items") or {})
            assert schema.get("properties"), (path, method, status, content)
    assert {
        ("/r/{name}", "get", "200"),
        ("/livez", "get", "200"),
        ("/healthz", "get", "200"),
        ("/healthz", "get", "503"),
        ("/webhooks/github", "post", "202"),
        ("/webhooks/github", "post", "200"),
    } <= documented


def test_every_error_answer_is_the_problem_document(document: dict[str, Any]) -> None:
    errors = 0
    for path, method, operation in _operations(document):
        for status, response in operation["responses"].items():
            if int(status) < 400 or (path, method, status) in NOT_PROBLEMS:
                continue
            if (path, method) in OPENAI_ROUTES:
                assert _schemas(response) == {"application/json": OPENAI_ERROR}, (path, method, status)
                assert "`" in response["description"], (path, method, status)
                continue
            errors += 1
            assert _schemas(response) == {"application/problem+json": PROBLEM}, (path, method, status)
            assert "`" in response["description"], (path, method, status)  # names its codes
    assert errors > 20
    problem = component("ProblemDetails")
    assert set(problem["required"]) == PROBLEM_MEMBERS
    assert {"retry_after", "errors"} <= set(problem["properties"])


def test_links_are_documented_as_303_redirects(document: dict[str, Any]) -> None:
    for path in (DEFAULT_BRANCH_LINK, BRANCH_LINK):
        responses = document["paths"][path]["get"]["responses"]
        for redirect in ("303", "301"):
            assert "content" not in responses[redirect], (path, redirect)
            assert responses[redirect]["headers"]["Location"]["required"] is True, (path, redirect)
        assert "/r/{result_id}" in responses["303"]["description"]
        assert {"400", "402", "403", "404", "422", "429", "502"} <= set(responses), (path, sorted(responses))
        assert "`link.rate_limited`" in responses["429"]["description"]
    assert not [s for s in document["paths"][DEFAULT_BRANCH_LINK]["get"]["responses"] if s.startswith("2")]
    # The branch route's only 2xx besides the redirect is the badge at …/badge.svg.
    assert set(document["paths"][BRANCH_LINK]["get"]["responses"]["200"]["content"]) == {"image/svg+xml"}
    assert set(document["paths"][BADGE]["get"]["responses"]["200"]["content"]) == {"image/svg+xml"}


def test_result_pages_list_their_formats(document: dict[str, Any]) -> None:
    ok = document["paths"]["/r/{name}"]["get"]["responses"]["200"]["content"]
    assert set(ok) == {"text/html", "application/json", "text/markdown", "text/plain", "text/event-stream"}
    assert ok["application/json"]["schema"] == {"$ref": "#/components/schemas/ResultJSON"}
    result = component("ResultJSON")
    assert list(result["properties"]) == [
        *("id", "status", "repo", "branch", "commit", "context_id", "model", "text", "usage", "cost_usd"),
        *("paid_by", "cached_from", "error", "error_code", "created_at", "finished_at"),
    ]
    assert component("ResultStatus")["enum"] == ["pending", "streaming", "done", "failed"]
    stream = document["paths"]["/r/{result_id}/stream"]["get"]["responses"]["200"]["content"]
    assert set(stream) == {"text/event-stream"}


def test_pages_for_people_are_left_out(document: dict[str, Any]) -> None:
    assert "/" not in document["paths"]
    assert not [path for path in document["paths"] if path.startswith("/_static")]


async def test_probe_and_problem_bodies_have_the_documented_shape(client: httpx.AsyncClient) -> None:
    live, ready = await client.get("/livez"), await client.get("/healthz")
    assert (live.status_code, ready.status_code) == (200, 200)
    assert_matches_component(live.json(), "Liveness")
    assert_matches_component(ready.json(), "Readiness")
    assert_problem(await client.get("/r/abcdefghijklmnop.json"), 404, "results.not_found")  # checks the shape too
    with pytest.raises(AssertionError):
        assert_matches_component({**live.json(), "extra": 1}, "Liveness")
