"""Patterns an owner (or any committer, through .gitignore) writes cannot freeze the service or loop forever."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from sqlalchemy import select

from app.db.models import ContextFile
from jobs.tasks import requeue_unfinished
from tests.conftest import Service
from tests.links.helpers import install_repo

BACKTRACKER = "*a" * 14 + "b"  # froze the web process of the old regex engine for over 30 s per name


async def _loop_lag_while(work: asyncio.Task[Any]) -> float:
    """The longest the event loop went without running this coroutine while `work` ran."""
    worst, last = 0.0, time.monotonic()
    while not work.done():
        await asyncio.sleep(0.01)
        now = time.monotonic()
        worst, last = max(worst, now - last), now
    return worst


async def test_backtracking_patterns_and_gitignore_do_not_freeze(service: Service, fake_github: Any) -> None:
    context = {"context": {"explain": {"summary": "s", "pathPatterns": [BACKTRACKER, "src/**"]}}}
    installed = await install_repo(service, fake_github, context=context)
    files = {f"src/{'a' * 60}{n}.py": f"x = {n}\n" for n in range(50)}
    await installed.push({**files, ".gitignore": BACKTRACKER + "\n" + "*a" * 20 + "\n"})
    click = asyncio.create_task(installed.click_and_finish())
    assert await _loop_lag_while(click) < 2.0  # the old engine stalled the loop for minutes here
    assert click.result()["status"] == "done"


async def test_a_pattern_too_complex_to_use_fails_once_and_is_not_requeued(
    service: Service, fake_github: Any, fake_llm: Any
) -> None:
    installed = await install_repo(service, fake_github)
    # Stored before today's limits existed (validation now refuses it): 2**21 alternatives.
    async with service.clients.sessions() as session:
        for row in (await session.execute(select(ContextFile))).scalars():
            row.entries = {**row.entries, "explain": {**row.entries["explain"], "pathPatterns": ["{a,b}" * 21]}}
        await session.commit()
    result = await installed.click_and_finish()
    assert result["status"] == "failed" and result["error_code"] == "context_patterns"
    assert result["error"].startswith("Could not build the repository context: ")
    assert "expands to more than" in result["error"]
    assert fake_llm.call_count == 0 and await installed.debits() == [] and result["cost_usd"] == 0
    assert await requeue_unfinished(service.job_context, older_than_seconds=0) == 0
