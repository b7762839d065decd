"""A context paused after an answer was queued and before its job started: the job starts nothing, charges nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.context_settings import repository as context_settings
from app.db.models import Repository, Result
from tests.conftest import Service
from tests.links.helpers import install_repo


async def _pause(service: Service, full_name: str, context_id: str, paused: bool) -> None:
    owner, name = full_name.split("/")
    async with service.clients.sessions() as session:
        repo = (await session.execute(select(Repository).where(Repository.name == name))).scalar_one()
        await context_settings.set_paused(session, repo.id, context_id, paused)
        await session.commit()


async def test_a_queued_answer_paused_before_it_starts_fails_without_a_model_call(
    service: Service, fake_github: Any, fake_llm: Any
) -> None:
    installed = await install_repo(service, fake_github)
    before = await installed.account()
    calls = fake_llm.call_count

    queued = await installed.click()  # the job is queued, not run yet
    assert queued.status_code == 303
    result_id = queued.headers["location"].removeprefix("/r/")
    await _pause(service, "acme/widgets", "explain", True)
    await service.drain_jobs()

    async with service.clients.sessions() as session:
        result = (await session.execute(select(Result).where(Result.id == result_id))).scalar_one()
    assert (result.status, result.error_code, result.cost_micros, result.reserved_micros) == (
        "failed",
        "context_paused",
        0,
        0,
    )
    assert "paused" in (result.error or "")
    assert fake_llm.call_count == calls
    after = await installed.account()
    assert (after.balance_micros, after.reserved_micros) == (before.balance_micros, before.reserved_micros)
    assert await installed.debits() == []

    page = await service.client.get(f"/r/{result_id}", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "paused new answers" in page.text


async def test_a_context_resumed_before_the_job_starts_is_answered(
    service: Service, fake_github: Any, fake_llm: Any
) -> None:
    installed = await install_repo(service, fake_github)
    await _pause(service, "acme/widgets", "explain", True)
    await _pause(service, "acme/widgets", "explain", False)
    body = await installed.click_and_finish()
    assert body["status"] == "done" and body["text"]
    assert len(await installed.debits()) == 1
