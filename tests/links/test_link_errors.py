"""Every way a link can fail gets a page that says which, with the right status (problem+json for API clients)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import Service
from tests.links.helpers import INSTALLATION_ID, install_repo
from tests.support.payloads import installation_payload
from tests.support.problems import BROWSER_ACCEPT, assert_error_page, assert_problem


async def _get(service: Service, path: str, *, accept: str = "*/*") -> Any:
    return await service.client.get(path, headers={"accept": accept})


async def _assert_page(service: Service, path: str, status: int, code: str, phrase: str) -> None:
    page = assert_error_page(await _get(service, path, accept=BROWSER_ACCEPT), status)
    assert phrase in page
    for accept in ("application/json", "*/*"):
        assert phrase in assert_problem(await _get(service, path, accept=accept), status, code)["detail"]


async def test_unknown_repository(service: Service) -> None:
    await _assert_page(service, "/nobody/nothing/context/explain", 404, "link.repo_not_found", "does not know")


async def test_unknown_context_id_lists_the_available_ones(service: Service, fake_github: Any) -> None:
    await install_repo(service, fake_github)
    await _assert_page(service, "/acme/widgets/context/nope", 404, "link.context_not_found", "Available: api, docs")


async def test_malformed_context_id(service: Service, fake_github: Any) -> None:
    await install_repo(service, fake_github)
    await _assert_page(
        service, "/acme/widgets/context/Not%20An%20Id", 404, "link.context_not_found", "is not a context id"
    )


async def test_unknown_branch(service: Service, fake_github: Any) -> None:
    await install_repo(service, fake_github)
    await _assert_page(
        service, "/acme/widgets/tree/no-such/context/explain", 404, "link.branch_not_found", "has no branch"
    )


async def test_branch_with_slashes_and_its_badge(service: Service, fake_github: Any, fake_llm: Any) -> None:
    installed = await install_repo(service, fake_github)
    await installed.push({"src/x.py": "x = 1\n"}, branch="feature/deep/x")
    resp = await _get(service, "/acme/widgets/tree/feature/deep/x/context/explain")
    assert resp.status_code == 303
    badge = await _get(service, "/acme/widgets/tree/feature/deep/x/context/explain/badge.svg")
    assert badge.headers["content-type"].startswith("image/svg+xml") and "explain" in badge.text


async def test_invalid_context_json(service: Service, fake_github: Any) -> None:
    await install_repo(service, fake_github, context='{"context": {"explain": {"summary": 5}}}')
    await _assert_page(service, "/acme/widgets/context/explain", 422, "link.context_invalid", "context.explain.summary")


async def test_branch_without_context_json(service: Service, fake_github: Any) -> None:
    installed = await install_repo(service, fake_github)
    await installed.push({"context.json": None})
    await _assert_page(service, "/acme/widgets/context/explain", 404, "link.no_context_file", "has no context.json")


async def test_private_repository_is_unknown_to_anonymous_visitors(
    service: Service, fake_github: Any, fake_llm: Any
) -> None:
    await install_repo(service, fake_github, private=True)
    await _assert_page(service, "/acme/widgets/context/explain", 404, "link.repo_not_found", "does not know")
    assert fake_llm.call_count == 0  # the sign-in offer and the rest: tests/links/test_private_repos.py


async def test_uninstalled_app(service: Service, fake_github: Any) -> None:
    installed = await install_repo(service, fake_github)
    payload = installation_payload("deleted", INSTALLATION_ID, fake_github.account("acme"), [installed.repo])
    await service.send_webhook("installation", payload)
    await service.drain_jobs()
    await _assert_page(service, "/acme/widgets/context/explain", 404, "link.not_installed", "not (or no longer)")


@pytest.mark.parametrize("path", ["/r/doesnotexist123", "/r/bad!id", "/r/doesnotexist123.json"])
async def test_unknown_result(service: Service, path: str) -> None:
    assert_problem(await _get(service, path), 404, "results.not_found")


async def test_streaming_page_works_without_javascript(service: Service, fake_github: Any, fake_llm: Any) -> None:
    installed = await install_repo(service, fake_github)
    fake_llm.first_token_delay = 30  # the answer has not started when the page is read
    location = (await installed.click()).headers["location"]
    page = await _get(service, location)
    assert page.status_code == 200 and page.headers["x-result-status"] in ("pending", "streaming")
    assert '<meta http-equiv="refresh"' in page.text and "Refresh the page" in page.text
    assert '<pre id="live">' in page.text and '<script src="/_static/result.js" nonce="' in page.text
    script = await service.client.get("/_static/result.js")
    assert script.status_code == 200 and "EventSource" in script.text
    assert "javascript" in script.headers["content-type"]
    assert json.loads((await _get(service, location + ".json")).text)["status"] in ("pending", "streaming")


async def test_unknown_result_in_a_browser_is_a_page(service: Service) -> None:
    page = assert_error_page(await _get(service, "/r/doesnotexist123", accept="text/html,application/xhtml+xml"), 404)
    assert "<h1>Not found</h1>" in page and "doesnotexist123" in page
    assert_error_page(await _get(service, "/no/such/page/here", accept="text/html"), 404)
