"""Public result pages give a clean reason for a failure; what the upstream or the exception said stays in the log."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import update

from app.app import create_app
from app.db.models import Repository, Result
from app.repo_context import ArchiveTooLarge, InvalidArchive
from app.results import failures
from app.settings import Settings
from tests.conftest import Service
from tests.links.helpers import Installed, install_repo

SECRET_DETAIL = "db 10.1.2.3:5432 refused; see https://internal.example/run?token=sk-live-123"


@pytest.fixture
async def installed(service: Service, fake_github: Any) -> Installed:
    return await install_repo(service, fake_github)


async def _failed_views(installed: Installed) -> tuple[dict[str, Any], str, str, list[str]]:
    """A click that fails: its JSON, its page, its SSE stream, and the error events live watchers got."""
    resp = await installed.click()
    assert resp.status_code == 303
    result_id = resp.headers["location"].removeprefix("/r/")
    await installed.service.drain_jobs()
    client = installed.service.client
    data = (await client.get(f"/r/{result_id}.json")).json()
    page = (await client.get(f"/r/{result_id}")).text
    stream = (await client.get(f"/r/{result_id}/stream")).text
    live = [e.data async for e in installed.service.clients.broker.subscribe(result_id) if e.kind == "error"]
    return data, page, stream, live


def _assert_clean(views: tuple[dict[str, Any], str, str, list[str]], code: str, reason: str, *leaks: str) -> None:
    data, page, stream, live = views
    assert data["status"] == "failed" and (data["error_code"], data["error"]) == (code, reason)
    assert reason in page and f"data: {json.dumps({'message': reason})}" in stream and live == [reason]
    for leak in leaks:
        assert leak not in json.dumps(data) and leak not in page and leak not in stream


async def test_an_upstream_error_shows_its_status_not_its_body(
    installed: Installed, fake_llm: Any, caplog: pytest.LogCaptureFixture
) -> None:
    fake_llm.fail_next(status=500, times=3, message=SECRET_DETAIL)
    views = await _failed_views(installed)
    reason = "The model provider returned an error (HTTP 500)."
    _assert_clean(views, "upstream_status", reason, "10.1.2.3", "sk-live-123", "internal.example")
    assert any(SECRET_DETAIL in record.getMessage() for record in caplog.records)  # the operator still sees it


async def test_a_stream_that_keeps_breaking_off(installed: Installed, fake_llm: Any) -> None:
    fake_llm.cut_stream_next(after_chunks=3, times=3)
    views = await _failed_views(installed)
    _assert_clean(views, "upstream_incomplete", "The model provider did not complete the answer.", "peer closed")
    account = await installed.account()
    assert account.reserved_micros == 0 and account.balance_micros == 5_000_000  # nothing charged


@pytest.fixture
def unreachable_llm(settings: Settings) -> Settings:
    return settings.model_copy(update={"llm_base_url": "http://127.0.0.1:9/v1?key=sk-in-url"})


async def test_an_unreachable_upstream(unreachable_llm: Settings, fake_github: Any) -> None:
    app = create_app(unreachable_llm)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://contextjson.test") as client:
            installed = await install_repo(Service(app=app, client=client), fake_github)
            views = await _failed_views(installed)
    _assert_clean(
        views, "upstream_unreachable", "The model provider could not be reached.", "127.0.0.1:9/", "sk-in-url"
    )


async def test_github_failing_to_send_the_archive(installed: Installed, fake_github: Any) -> None:
    fake_github.fail_next("GET", r"/tarball/", 502, times=5, message="backend at 10.9.9.9 is down")
    views = await _failed_views(installed)
    reason = "Could not build the repository context: GitHub did not provide the repository."
    _assert_clean(views, "context_github", reason, "10.9.9.9", "tarball")


async def test_rows_from_earlier_versions_show_no_raw_text(installed: Installed, fake_llm: Any) -> None:
    fake_llm.fail_next(status=500, times=3)
    data, _, _, _ = await _failed_views(installed)
    async with installed.service.clients.sessions() as session:
        raw = "The model API failed: connection failed: [Errno 111] https://llm.internal:8443/v1"
        await session.execute(update(Result).where(Result.id == data["id"]).values(error_code="upstream", error=raw))
        await session.commit()
    page = (await installed.service.client.get(f"/r/{data['id']}")).text
    again = (await installed.service.client.get(f"/r/{data['id']}.json")).json()
    assert "llm.internal" not in page and again["error"] == "The model provider returned an error."


@pytest.mark.parametrize(
    ("exc", "code", "reason"),
    [
        (ArchiveTooLarge("archive expands to more than 1 bytes"), "context_too_large", "the archive is too large."),
        (InvalidArchive("corrupt archive: bad header at /tmp/x"), "context_invalid_archive", "could not be read."),
        (
            KeyError("request['entry'] at /srv/app/secret.py"),
            "context",
            "(an internal error, logged for the operator).",
        ),
    ],
)
def test_context_failures_map_to_fixed_reasons(exc: Exception, code: str, reason: str) -> None:
    failed = failures.context_failed(exc)
    assert failed.code == code and failed.message.startswith(failures.CONTEXT_PREFIX)
    assert failed.message.endswith(reason) and "/tmp/x" not in failed.message and "/srv" not in failed.message


async def test_a_failed_answer_links_the_last_good_one_with_the_right_reason(
    installed: Installed, fake_llm: Any
) -> None:
    first = await installed.click_and_finish()
    await installed.push({"README.md": "# Widgets v2\n"})  # a new commit: the next click is a new answer
    fake_llm.fail_next(status=500, times=3)
    resp = await installed.click()
    await installed.service.drain_jobs()
    client = installed.service.client
    failed_page = (await client.get(resp.headers["location"], headers={"accept": "text/html"})).text
    link = f"/r/{first['id']}?older=newer_failed"
    assert f'href="{link}"' in failed_page
    older = (await client.get(link, headers={"accept": "text/html"})).text
    assert "A newer answer could not be made" in older and "budget" not in older


async def test_an_answer_over_the_repository_cap_links_the_last_good_one_saying_so(installed: Installed) -> None:
    first = await installed.click_and_finish()
    spent = -sum(entry.amount_micros for entry in await installed.debits())
    assert spent > 0
    async with installed.service.clients.sessions() as session:  # the cap is reached: no new answer fits
        await session.execute(update(Repository).values(monthly_cap_micros=spent))
        await session.commit()
    await installed.push({"README.md": "# Widgets v2\n"})  # a new commit: the next click is a new answer
    resp = await installed.click()
    await installed.service.drain_jobs()
    client = installed.service.client
    failed = (await client.get(resp.headers["location"] + ".json")).json()
    assert failed["status"] == "failed" and "monthly spending cap" in failed["error"]
    failed_page = (await client.get(resp.headers["location"], headers={"accept": "text/html"})).text
    link = f"/r/{first['id']}?older=repo_cap"
    assert f'href="{link}"' in failed_page
    older = (await client.get(link, headers={"accept": "text/html"})).text
    assert "monthly spending cap" in older
