"""The exception handler on a small app: which renderer, Litestar's own errors, and unexpected failures."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from litestar import Litestar, Request, get, post
from litestar.params import FromQuery

from app.errors import AppError
from app.problems import EXCEPTION_HANDLERS, OPENAI_ERRORS
from tests.support.problems import BROWSER_ACCEPT, assert_error_page, assert_problem

SECRET = "postgresql://admin:hunter2@db.internal/prod"


@get("/v1/models", opt={"errors": OPENAI_ERRORS}, sync_to_thread=False)
def models() -> None:
    raise AppError("No models are configured.", code="models.none", status_code=503, retry_after=5)


@get("/items", sync_to_thread=False)
def items(limit: FromQuery[int]) -> dict[str, int]:
    return {"limit": limit}


@get("/boom", sync_to_thread=False)
def boom() -> None:
    raise RuntimeError(f"could not connect to {SECRET}")


@post("/upload", request_max_body_size=10, status_code=200)
async def upload(request: Request) -> dict[str, int]:
    return {"size": len(await request.body())}


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = Litestar([models, items, boom, upload], exception_handlers=EXCEPTION_HANDLERS)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t.test") as http:
        yield http


async def test_openai_routes_answer_in_openai_shape_whatever_the_accept(client: httpx.AsyncClient) -> None:
    for accept in ("*/*", "application/json", BROWSER_ACCEPT):
        resp = await client.get("/v1/models", headers={"accept": accept})
        assert (resp.status_code, resp.headers["content-type"], resp.headers["retry-after"]) == (
            503,
            "application/json",
            "5",
        )
        assert resp.json() == {
            "error": {
                "message": "No models are configured.",
                "type": "service_unavailable_error",
                "code": "models.none",
                "param": None,
            }
        }


@pytest.mark.parametrize(
    ("path", "openai"),
    [
        ("/v1/nothing", True),
        ("/v1", True),
        ("/chat/completions", True),
        ("/acme/widgets/context/explain/chat/completions", True),
        ("/acme/widgets/context/explain/v1/chat/completions", True),
        ("/acme/widgets/tree/feature/x/context/explain/v1/chat/completions", True),
        ("/v1x/models", False),
        ("/acme/widgets/context/explain/mcp", False),
        ("/nothing/here", False),
    ],
)
async def test_addresses_no_route_answers_are_judged_by_path(
    client: httpx.AsyncClient, path: str, openai: bool
) -> None:
    resp = await client.post(path, headers={"accept": "*/*"})
    assert resp.status_code == 404
    if openai:
        assert resp.json()["error"] == {
            "message": "Nothing is served at this address.",
            "type": "not_found_error",
            "code": "http.not_found",
            "param": None,
        }
    else:
        assert_problem(resp, 404, "http.not_found")


async def test_validation_errors_say_which_parameter(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/items?limit=many"), 400, "http.invalid_request")
    assert [e["key"] for e in body["errors"]] == ["limit"]
    page = assert_error_page(await client.get("/items?limit=many", headers={"accept": BROWSER_ACCEPT}), 400)
    assert "<h1>Bad request</h1>" in page


async def test_method_not_allowed_names_the_allowed_ones(client: httpx.AsyncClient) -> None:
    resp = await client.delete("/items")
    body = assert_problem(resp, 405, "http.method_not_allowed")
    assert "GET" in resp.headers["allow"] and body["detail"].startswith("DELETE is not allowed here")


async def test_body_limit(client: httpx.AsyncClient) -> None:
    assert (await client.post("/upload", content=b"12345")).json() == {"size": 5}
    body = assert_problem(await client.post("/upload", content=b"x" * 11), 413, "http.payload_too_large")
    assert body["detail"] == "The request body is larger than this address accepts."


async def test_unexpected_errors_are_logged_and_never_leak(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="contextjson"):
        resp = await client.get("/boom")
        page = await client.get("/boom", headers={"accept": BROWSER_ACCEPT})
    body = assert_problem(resp, 500, "app.internal_error")
    assert body["detail"] == "Something went wrong on our side; it has been logged."
    assert SECRET not in resp.text and "RuntimeError" not in resp.text and "Traceback" not in resp.text
    assert SECRET not in assert_error_page(page, 500)
    logged = [r for r in caplog.records if r.getMessage() == "http.internal_error path=/boom"]
    assert len(logged) == 2 and logged[0].exc_info is not None and SECRET in str(logged[0].exc_info[1])


async def test_the_problem_document_is_json_all_the_way(client: httpx.AsyncClient) -> None:
    resp = await client.get("/nothing", headers={"accept": "application/problem+json"})
    assert json.loads(resp.content)["status"] == 404
