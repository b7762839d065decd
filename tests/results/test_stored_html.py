"""An answer is rendered once, when it finishes (or is reused), and every view serves the stored HTML."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select, update

from app.db.models import Account, Result
from app.results.render import render_markdown
from jobs.tasks import requeue_unfinished
from tests.conftest import Service
from tests.links.helpers import Installed, install_repo

MARKER = "<p>stored once</p>"
TWINS = {  # identical entries: the same messages, so the same cache key
    "context": {name: {"summary": "Explain", "pathPatterns": ["README.md"]} for name in ("first", "second")}
}


@pytest.fixture
async def installed(service: Service, fake_github: Any) -> Installed:
    return await install_repo(service, fake_github, context=TWINS)


async def _stored(service: Service, result_id: str) -> Result:
    async with service.clients.sessions() as session:
        return (await session.execute(select(Result).where(Result.id == result_id))).scalar_one()


async def _set_html(service: Service, result_id: str, html: str | None) -> None:
    async with service.clients.sessions() as session:
        await session.execute(update(Result).where(Result.id == result_id).values(html=html))
        await session.commit()


def _done_html(stream: str) -> str:
    data = stream.split("event: done", 1)[1].split("data: ", 1)[1].split("\n", 1)[0]
    return str(json.loads(data)["html"])


async def test_the_answer_is_rendered_when_it_finishes_and_served_as_stored(
    installed: Installed, fake_llm: Any
) -> None:
    fake_llm.script("# Title\n\nSome **bold** words <script>x()</script>")
    finished = await installed.click_and_finish("/context/first")
    stored = await _stored(installed.service, finished["id"])
    assert stored.html == render_markdown(stored.text) and "<strong>bold</strong>" in stored.html
    assert "<script>" not in stored.html

    await _set_html(installed.service, finished["id"], MARKER)  # what the views show is the stored copy
    client = installed.service.client
    assert MARKER in (await client.get(f"/r/{finished['id']}")).text
    assert _done_html((await client.get(f"/r/{finished['id']}/stream")).text) == MARKER


async def test_rows_without_stored_html_are_rendered_once_and_stored(installed: Installed) -> None:
    finished = await installed.click_and_finish("/context/first")
    await _set_html(installed.service, finished["id"], None)  # as rows finished by earlier versions
    page = (await installed.service.client.get(f"/r/{finished['id']}")).text
    stored = await _stored(installed.service, finished["id"])
    assert stored.html == render_markdown(finished["text"]) and stored.html in page
    stream = (await installed.service.client.get(f"/r/{finished['id']}/stream")).text
    assert _done_html(stream) == stored.html


async def test_a_reused_answer_keeps_the_html_and_gives_back_a_stale_reservation(
    installed: Installed, fake_llm: Any
) -> None:
    service = installed.service
    fake_llm.fail_next(status=400)
    interrupted = (await installed.click("/context/second")).headers["location"].removeprefix("/r/")
    await service.drain_jobs()
    async with service.clients.sessions() as session:  # as a run that reserved, then crashed, leaves it
        values = {"status": "streaming", "reserved_micros": 900, "error": None, "error_code": None}
        await session.execute(update(Result).where(Result.id == interrupted).values(**values))
        await session.execute(update(Account).values(reserved_micros=900))
        await session.commit()
    original = await installed.click_and_finish("/context/first")
    calls = fake_llm.call_count

    await requeue_unfinished(service.job_context, older_than_seconds=0)
    await service.drain_jobs()
    reused = await _stored(service, interrupted)
    assert (reused.status, reused.cached_from, reused.cost_micros) == ("done", original["id"], 0)
    assert reused.html == (await _stored(service, original["id"])).html is not None
    assert fake_llm.call_count == calls and reused.reserved_micros == 0
    assert (await installed.account()).reserved_micros == 0
