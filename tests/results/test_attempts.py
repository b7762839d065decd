"""Generation attempts are bounded: a result whose job keeps dying is failed, not re-queued forever."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update

from app.db.models import Account, Result, utcnow
from app.results.generate import MAX_ATTEMPTS
from jobs.tasks import requeue_unfinished
from tests.conftest import Service
from tests.links.helpers import Installed, install_repo

RESERVED = 700


@pytest.fixture
async def installed(service: Service, fake_github: Any) -> Installed:
    return await install_repo(service, fake_github)


async def _interrupted_result(installed: Installed, fake_llm: Any, attempts: int) -> str:
    """A result left streaming with a reservation, as a job that crashed its process leaves it."""
    fake_llm.fail_next(status=400)  # a first run that fails at once, before anything is reserved for good
    resp = await installed.click()
    result_id = resp.headers["location"].removeprefix("/r/")
    await installed.service.drain_jobs()
    async with installed.service.clients.sessions() as session:
        await session.execute(
            update(Result)
            .where(Result.id == result_id)
            .values(status="streaming", attempts=attempts, reserved_micros=RESERVED, error=None, error_code=None)
        )
        await session.execute(update(Account).values(reserved_micros=Account.reserved_micros + RESERVED))
        await session.commit()
    return result_id


async def _requeue(service: Service) -> int:
    count = await requeue_unfinished(service.job_context, older_than_seconds=0)
    await service.drain_jobs()
    return count


async def _result(service: Service, result_id: str) -> Result:
    async with service.clients.sessions() as session:
        return (await session.execute(select(Result).where(Result.id == result_id))).scalar_one()


async def test_a_result_at_the_bound_is_failed_not_generated(installed: Installed, fake_llm: Any) -> None:
    result_id = await _interrupted_result(installed, fake_llm, attempts=MAX_ATTEMPTS)
    before = await installed.account()
    calls = fake_llm.call_count
    assert await _requeue(installed.service) == 1

    result = await _result(installed.service, result_id)
    assert (result.status, result.error_code, result.attempts) == ("failed", "too_many_attempts", MAX_ATTEMPTS + 1)
    assert f"interrupted {MAX_ATTEMPTS} times" in (result.error or "")
    assert fake_llm.call_count == calls  # not generated again
    after = await installed.account()
    assert after.reserved_micros == before.reserved_micros - RESERVED == 0  # the reservation is given back
    assert after.balance_micros == before.balance_micros  # and nothing charged
    assert await _requeue(installed.service) == 0  # never listed again
    page = (await installed.service.client.get(f"/r/{result_id}")).text
    assert "not tried again" in page


async def test_a_result_below_the_bound_is_finished_and_counted(installed: Installed, fake_llm: Any) -> None:
    result_id = await _interrupted_result(installed, fake_llm, attempts=MAX_ATTEMPTS - 1)
    calls = fake_llm.call_count
    assert await _requeue(installed.service) == 1
    result = await _result(installed.service, result_id)
    assert (result.status, result.attempts) == ("done", MAX_ATTEMPTS)
    assert fake_llm.call_count == calls + 1 and result.reserved_micros == 0
    assert (await installed.account()).reserved_micros == 0


async def test_every_job_start_counts(installed: Installed) -> None:
    finished = await installed.click_and_finish()
    result = await _result(installed.service, finished["id"])
    assert result.attempts == 1
    async with installed.service.clients.sessions() as session:
        await session.execute(update(Result).where(Result.id == result.id).values(created_at=utcnow()))
        await session.commit()
    assert await _requeue(installed.service) == 0  # finished results are not re-queued
    assert (await _result(installed.service, result.id)).attempts == 1
