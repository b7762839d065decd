"""The counter's batches: days, a failed flush keeping its counts (bounded), and what the hot path may hold."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.db.engine import Sessions, create_engine, create_sessionmaker
from app.db.models import Account, Repository, Result, UsageDay, UsageVisitor
from app.usage.counter import SECONDS_PER_DAY, UsageCounter
from tests.usage.helpers import SwitchableSessions, clicks_by_context, visitors

DAY_ONE = date(2026, 3, 1)
T0 = (DAY_ONE - date(1970, 1, 1)).days * SECONDS_PER_DAY + 3600.0  # 01:00 UTC on DAY_ONE


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def scope(client: str = "203.0.113.7", referer: str | None = None) -> Any:
    headers = [(b"host", b"contextjson.test"), (b"accept", b"*/*")]
    if referer is not None:
        headers.append((b"referer", referer.encode()))
    return {"type": "http", "client": (client, 50000), "headers": headers}


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[Sessions]:
    engine = create_engine(database_url)
    factory = create_sessionmaker(engine)
    async with factory() as session:  # an account, a repository and results whose clicks are counted
        session.add(Account(id=1, github_id=101, login="acme", type="Organization"))
        session.add(
            Repository(id=11, account_id=1, owner="acme", name="widgets", owner_lower="acme", name_lower="widgets")
        )
        await session.flush()
        for result_id, context_id in (("r-explain", "explain"), ("r-api", "api")):
            session.add(Result(id=result_id, account_id=1, repository_id=11, context_id=context_id, model="gpt-4.1"))
        await session.commit()
    yield factory
    await engine.dispose()


@pytest.fixture
async def broken(tmp_path: Path) -> AsyncIterator[Sessions]:
    """Sessions on a database file without the schema: every flush to it fails."""
    engine = create_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    yield create_sessionmaker(engine)
    await engine.dispose()


async def test_clicks_are_counted_per_utc_day_and_visitors_hashed_per_day(sessions: Sessions) -> None:
    clock = Clock()
    counter = UsageCounter(sessions, "secret", clock=clock)
    counter.click("r-explain", False, scope())
    counter.click("r-explain", True, scope())
    clock.now += 23 * 3600  # 00:00 UTC the next day
    counter.click("r-explain", True, scope())
    await counter.flush()
    async with sessions() as session:
        days = {row.day: (row.clicks, row.cache_hits) for row in (await session.execute(select(UsageDay))).scalars()}
    assert days == {DAY_ONE: (2, 1), date(2026, 3, 2): (1, 1)}
    stored = await visitors(sessions)
    assert sorted(day for day, _ in stored) == [DAY_ONE, date(2026, 3, 2)]
    assert stored[0][1] != stored[1][1]  # the same client is not recognisable from one day to the next


async def test_a_failed_flush_keeps_its_counts_for_the_next_one(
    sessions: Sessions, broken: Sessions, caplog: pytest.LogCaptureFixture
) -> None:
    switch = SwitchableSessions(broken)
    counter = UsageCounter(switch, "secret", clock=Clock())  # type: ignore[arg-type]
    for _ in range(3):
        counter.click("r-explain", True, scope(referer="https://github.com/acme"))
    with caplog.at_level(logging.ERROR, "contextjson.usage"):
        await counter.flush()
    assert "usage.flush_failed" in caplog.text and counter.waiting == 3
    counter.click("r-api", False, scope(client="198.51.100.1"))
    await counter.flush()  # still failing: both batches are kept
    switch.current = sessions
    counter.click("r-explain", True, scope())
    await counter.flush()
    assert await clicks_by_context(sessions) == {"explain": (4, 4), "api": (1, 0)}
    assert counter.waiting == 0
    async with sessions() as session:
        assert len((await session.execute(select(UsageVisitor))).all()) == 2  # hashed before the first attempt


async def test_unsent_counts_are_bounded_and_the_loss_is_logged(
    broken: Sessions, caplog: pytest.LogCaptureFixture
) -> None:
    counter = UsageCounter(broken, "secret", max_keys=3, clock=Clock())
    for n in range(5):
        counter.click(f"r-{n}", False, scope())
    with caplog.at_level(logging.ERROR, "contextjson.usage"):
        await counter.flush()
        assert "usage.dropped clicks=2 reason=too_many_keys" in caplog.text  # the hot path kept 3 keys
        for n in range(5, 8):
            counter.click(f"r-{n}", False, scope())
        await counter.flush()
    assert "usage.dropped clicks=3 reason=unsent_backlog" in caplog.text  # the oldest unsent keys went
    assert counter.waiting == 3


async def test_clicks_on_unknown_results_are_skipped(sessions: Sessions, caplog: pytest.LogCaptureFixture) -> None:
    counter = UsageCounter(sessions, "secret", clock=Clock())
    counter.click("no-such-result", True, scope())
    counter.click("r-api", True, scope())
    with caplog.at_level(logging.WARNING, "contextjson.usage"):
        await counter.flush()
    assert "usage.unknown_results clicks=1" in caplog.text
    assert await clicks_by_context(sessions) == {"api": (1, 1)} and counter.waiting == 0


async def test_close_writes_what_is_left(sessions: Sessions) -> None:
    counter = UsageCounter(sessions, "secret", clock=Clock())
    counter.start(3600)  # the periodic flush would come much later
    counter.click("r-api", False, scope())
    await counter.close()
    assert await clicks_by_context(sessions) == {"api": (1, 0)}
