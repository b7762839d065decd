"""Visitor clicks counted in memory and flushed in batches: the database ends up with exactly what was served."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from app.db.engine import create_engine, create_sessionmaker
from app.settings import Settings
from tests.conftest import Service, running_service
from tests.links.helpers import Installed, install_repo
from tests.usage.helpers import clicks_by_context, referrers, visitors


@pytest.fixture
async def installed(service: Service, fake_github: Any) -> Installed:
    return await install_repo(service, fake_github)


async def flush(service: Service) -> None:
    await service.app.state.usage.flush()


async def test_clicks_and_hits_equal_what_was_served(installed: Installed) -> None:
    service = installed.service
    first = await installed.click_and_finish()  # a new result: a click, not a hit
    for _ in range(6):
        assert (await installed.click()).headers["location"] == f"/r/{first['id']}"  # from the link cache
    service.app.state.link_resolver.cache.clear()
    assert (await installed.click()).headers["location"] == f"/r/{first['id']}"  # from the database: still a hit
    await installed.click_and_finish("/context/api")
    await flush(service)
    assert await clicks_by_context(service.clients.sessions) == {"explain": (8, 7), "api": (1, 0)}


async def test_refused_clicks_are_not_counted_and_fallbacks_are_hits(installed: Installed) -> None:
    first = await installed.click_and_finish()
    await installed.set_balance(0)
    assert (await installed.click("/context/docs")).status_code == 402  # nothing shown: not a click on a result
    await installed.push({"README.md": "# Widgets v2\n"})
    older = await installed.click()  # the budget is spent: the last good answer, marked older
    assert older.headers["location"].startswith(f"/r/{first['id']}?older=")
    await flush(installed.service)
    assert await clicks_by_context(installed.service.clients.sessions) == {"explain": (2, 1)}


async def test_flushes_add_their_deltas(installed: Installed) -> None:
    sessions = installed.service.clients.sessions
    await installed.click_and_finish()
    await flush(installed.service)
    assert await clicks_by_context(sessions) == {"explain": (1, 0)}
    await flush(installed.service)  # nothing new: nothing changes
    for _ in range(3):
        await installed.click()
    await flush(installed.service)
    assert await clicks_by_context(sessions) == {"explain": (4, 3)}


async def test_two_web_processes_add_up(settings: Settings, fake_github: Any) -> None:
    async with running_service(settings) as one, running_service(settings) as two:
        installed = await install_repo(one, fake_github)
        await installed.click_and_finish()
        other = Installed(two, fake_github, installed.repo)
        for _ in range(4):
            await installed.click()
            await other.click()  # the same link on another process: its first click finds the answer in the database
        await flush(one)
        await flush(two)
        for _ in range(2):
            await other.click()
        await flush(two)
        assert await clicks_by_context(one.clients.sessions) == {"explain": (11, 10)}
        assert len(await visitors(one.clients.sessions)) == 1  # one client, seen by both processes


async def test_shutdown_writes_what_was_counted(settings: Settings, fake_github: Any) -> None:
    async with running_service(settings) as service:
        installed = await install_repo(service, fake_github)
        await installed.click_and_finish()
        for _ in range(4):
            await installed.click()
    engine = create_engine(settings.database_url)  # the service has stopped: read with a fresh engine
    try:
        assert await clicks_by_context(create_sessionmaker(engine)) == {"explain": (5, 4)}
    finally:
        await engine.dispose()


async def test_the_periodic_flush_writes_without_being_asked(fake_github: Any, settings: Settings) -> None:
    fast = settings.model_copy(update={"usage_flush_seconds": 0.05})
    async with running_service(fast) as service:
        installed = await install_repo(service, fake_github)
        await installed.click_and_finish()
        await installed.click()
        await _eventually_counted(service, {"explain": (2, 1)})


async def _eventually_counted(service: Service, expected: dict[str, tuple[int, int]]) -> None:
    for _ in range(200):
        if await clicks_by_context(service.clients.sessions) == expected:
            return
        await asyncio.sleep(0.05)
    assert await clicks_by_context(service.clients.sessions) == expected


async def test_referrer_hosts_are_counted_and_garbage_is_ignored(installed: Installed) -> None:
    await installed.click_and_finish()
    for referer in (
        "https://github.com/acme/widgets",
        "https://github.com/",
        "https://GitHub.com/other/repo#readme",
        "https://blog.example.org:8443/post?id=1",
        "javascript:alert(1)",
        "not a url at all",
        "https://exa mple.com/",
    ):
        assert (await installed.click(referer=referer)).status_code == 303
    await flush(installed.service)
    assert await referrers(installed.service.clients.sessions) == {"github.com": 3, "blog.example.org": 1}
    assert await clicks_by_context(installed.service.clients.sessions) == {"explain": (8, 7)}


async def test_distinct_visitors_are_hashes_never_addresses(installed: Installed) -> None:
    await installed.click_and_finish()  # from the test client's own address
    for address in ("203.0.113.7", "203.0.113.7", "198.51.100.20", "2001:db8:1:2::1", "2001:db8:1:2::99"):
        # The test client connects from 127.0.0.1, a trusted proxy: X-Forwarded-For names the visitor.
        await installed.click(**{"x-forwarded-for": address})
    await flush(installed.service)
    stored = await visitors(installed.service.clients.sessions)
    assert len(stored) == 4  # 127.0.0.1, 203.0.113.7, 198.51.100.20 and one IPv6 /64
    for _, visitor in stored:
        assert all(part not in visitor for part in ("203.0.113", "198.51.100", "2001:db8", "127.0.0.1"))
