"""A context its owner paused starts no new answers and costs nothing; visitors see its last good answer."""

from __future__ import annotations

from typing import Any

from app.context_settings.repository import paused_context_ids, set_paused
from tests.conftest import Service
from tests.links.helpers import Installed, install_repo
from tests.support.problems import assert_problem


async def _pause(installed: Installed, context_id: str, paused: bool = True) -> None:
    async with installed.service.clients.sessions() as session:
        await set_paused(session, installed.repo.id, context_id, paused)
        await session.commit()


async def test_a_paused_context_shows_its_last_answer_and_charges_nothing(
    service: Service, fake_github: Any, fake_llm: Any
) -> None:
    installed = await install_repo(service, fake_github)
    first = await installed.click_and_finish()
    await installed.push({"src/new.py": "x = 1\n"})  # a new commit: the link now needs a new answer
    await _pause(installed, "explain")
    calls, debits, results = len(fake_llm.calls), len(await installed.debits()), len(await installed.results())

    resp = await installed.click()
    assert resp.status_code == 303 and resp.headers["location"] == f"/r/{first['id']}?older=paused"
    page = await service.client.get(resp.headers["location"], headers={"accept": "text/html"})
    assert "paused new answers" in page.text
    assert (len(fake_llm.calls), len(await installed.debits()), len(await installed.results())) == (
        calls,
        debits,
        results,
    )

    other = await installed.click_and_finish("/context/api")  # other contexts of the repo are not paused
    assert other["status"] == "done"
    await _pause(installed, "explain", paused=False)
    resumed = await installed.click_and_finish()
    assert resumed["status"] == "done" and resumed["id"] != first["id"]


async def test_a_paused_context_without_an_answer_says_so(service: Service, fake_github: Any, fake_llm: Any) -> None:
    installed = await install_repo(service, fake_github)
    await _pause(installed, "explain")
    resp = await installed.click(accept="application/json")
    assert_problem(resp, 403, "link.context_paused")
    page = await installed.click(accept="text/html")
    assert page.status_code == 403 and "paused new answers" in page.text
    assert fake_llm.calls == [] and await installed.results() == []
    async with service.clients.sessions() as session:
        assert await paused_context_ids(session, installed.repo.id) == {"explain"}


async def test_an_answer_already_made_for_this_commit_is_still_served(service: Service, fake_github: Any) -> None:
    installed = await install_repo(service, fake_github)
    first = await installed.click_and_finish()
    await _pause(installed, "explain")
    resp = await installed.click()
    assert resp.status_code == 303 and resp.headers["location"] == f"/r/{first['id']}"
