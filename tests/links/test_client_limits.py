"""Who a visitor is, behind proxies and on IPv6, and the per-repository cap on new generations."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import select

from app.app import create_app
from app.db.models import Repository, RepositoryName, utcnow
from app.links.clients import client_key, client_network
from app.settings import Settings
from tests.conftest import Service
from tests.links.helpers import Installed, finish_link_refreshes, install_repo
from tests.support.problems import assert_problem

ServiceFactory = Callable[..., AbstractAsyncContextManager[Service]]


@pytest.fixture
def make_service(settings: Settings) -> ServiceFactory:
    @asynccontextmanager
    async def make(**overrides: Any) -> AsyncIterator[Service]:
        app = create_app(settings.model_copy(update=overrides))
        async with LifespanManager(app):
            transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
            async with httpx.AsyncClient(transport=transport, base_url="http://contextjson.test") as client:
                yield Service(app=app, client=client)

    return make


async def _click(installed: Installed, context_id: str, forwarded_for: str | None = None) -> httpx.Response:
    headers = {"accept": "application/json"}
    if forwarded_for is not None:
        headers["x-forwarded-for"] = forwarded_for
    return await installed.service.client.get(f"{installed.base}/context/{context_id}", headers=headers)


def test_ipv6_clients_are_counted_per_64_and_ipv4_per_address() -> None:
    assert client_network("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64"
    assert client_network("2001:db8:1:2:ffff:ffff:ffff:ffff") == "2001:db8:1:2::/64"
    assert client_network("::ffff:198.51.100.7") == "198.51.100.7"
    assert client_network("198.51.100.7") == "198.51.100.7"
    assert client_key("2001:db8::1", "k") == client_key("2001:db8::ffff", "k")
    assert client_key("2001:db8::1", "k") != client_key("2001:db8:0:1::1", "k")
    assert client_key("198.51.100.7", "k") != client_key("198.51.100.8", "k")


async def test_clients_behind_a_trusted_proxy_are_told_apart(make_service: ServiceFactory, fake_github: Any) -> None:
    async with make_service(visitor_generations_per_hour=1, trusted_proxies="127.0.0.1") as service:
        installed = await install_repo(service, fake_github)
        assert (await _click(installed, "explain", "203.0.113.5")).status_code == 303
        refused = await _click(installed, "api", "203.0.113.5")
        body = assert_problem(refused, 429, "link.rate_limited")
        assert body["retry_after"] == int(refused.headers["retry-after"]) > 0
        assert (await _click(installed, "api", "203.0.113.6")).status_code == 303  # another visitor
        # The right-most untrusted entry counts: what a client writes to the left of it is ignored.
        spoofed = await _click(installed, "docs", "198.51.100.1, 203.0.113.5")
        assert spoofed.status_code == 429


async def test_forwarded_for_from_an_untrusted_peer_is_ignored(make_service: ServiceFactory, fake_github: Any) -> None:
    async with make_service(visitor_generations_per_hour=1, trusted_proxies="10.0.0.0/8") as service:
        installed = await install_repo(service, fake_github)
        assert (await _click(installed, "explain", "203.0.113.5")).status_code == 303
        # Claiming another address does not buy another allowance: the peer itself is the client.
        assert (await _click(installed, "api", "203.0.113.99")).status_code == 429


async def test_one_ipv6_subnet_shares_one_allowance(make_service: ServiceFactory, fake_github: Any) -> None:
    async with make_service(visitor_generations_per_hour=1, trusted_proxies="127.0.0.1") as service:
        installed = await install_repo(service, fake_github)
        assert (await _click(installed, "explain", "2001:db8:5:6::1")).status_code == 303
        assert (await _click(installed, "api", "2001:db8:5:6::2")).status_code == 429
        assert (await _click(installed, "api", "2001:db8:5:7::1")).status_code == 303


async def test_a_repository_has_an_hourly_cap_whoever_clicks(make_service: ServiceFactory, fake_github: Any) -> None:
    async with make_service(repo_generations_per_hour=2, trusted_proxies="127.0.0.1") as service:
        installed = await install_repo(service, fake_github)
        assert (await _click(installed, "explain", "203.0.113.1")).status_code == 303
        assert (await _click(installed, "api", "203.0.113.2")).status_code == 303
        capped = await _click(installed, "docs", "203.0.113.3")
        assert_problem(capped, 429, "link.repo_rate_limited")
        assert int(capped.headers["retry-after"]) > 0
        assert len(await installed.results()) == 2  # the refused click left no result behind
        # The owner may raise the cap for one repository.
        async with service.clients.sessions() as session:
            repo = (await session.execute(select(Repository))).scalar_one()
            repo.hourly_generation_cap = 10
            await session.commit()
        assert (await _click(installed, "docs", "203.0.113.3")).status_code == 303


async def test_a_refused_refresh_evicts_the_cached_link(service: Service, fake_github: Any) -> None:
    """After an uninstall, a link cached on this replica stops answering at once, not after minutes."""
    installed = await install_repo(service, fake_github)
    first = await installed.click_and_finish()
    service.app.state.link_resolver.cache._ttl = 0.01  # entries go stale at once; a refresh is started on each hit
    service.app.state.link_resolver.cache.put(("acme", "widgets", "", "explain"), first["id"])
    await asyncio.sleep(0.02)
    async with service.clients.sessions() as session:  # another process processed the uninstall
        repo = (await session.execute(select(Repository))).scalar_one()
        repo.active = False
        await session.commit()
    stale = await installed.click()
    assert stale.status_code == 303  # served once from memory while the refresh runs...
    assert await finish_link_refreshes(service) == 1  # the stale hit started one background refresh
    gone = await installed.click()
    assert gone.status_code == 404 and "no longer" in gone.text  # ...which was refused, so it was evicted


async def test_old_names_redirect_to_the_new_name(service: Service, fake_github: Any) -> None:
    installed = await install_repo(service, fake_github)
    await installed.push({"src/x.py": "x = 1\n"}, branch="feature/x")
    async with service.clients.sessions() as session:
        session.add(RepositoryName(owner_lower="acme", name_lower="old-widgets", repository_id=installed.repo.id,
                                   created_at=utcnow()))  # fmt: skip
        session.add(RepositoryName(owner_lower="former-owner", name_lower="widgets", repository_id=installed.repo.id,
                                   created_at=utcnow()))  # fmt: skip
        await session.commit()
    moved = await service.client.get("/acme/old-widgets/context/explain")
    assert moved.status_code == 301 and moved.headers["location"] == "/acme/widgets/context/explain"
    moved = await service.client.get("/Former-Owner/widgets/tree/feature%2Fx/context/api")
    assert moved.status_code == 301 and moved.headers["location"] == "/acme/widgets/tree/feature/x/context/api"
    assert (await service.client.get(moved.headers["location"])).status_code == 303


async def test_closing_the_link_resolver_stops_lookups_still_running(service: Service) -> None:
    """A refresh still running at shutdown is cancelled and closes its session, before the engine is disposed."""
    server = service.app.state.link_resolver
    finished: list[str] = []

    async def slow_lookup() -> str:
        try:
            await asyncio.Event().wait()  # e.g. waiting for GitHub
            return "never"
        finally:
            finished.append("closed")

    server._inflight[("acme", "widgets", "", "explain")] = asyncio.create_task(slow_lookup())
    await asyncio.sleep(0)
    await server.close()
    assert finished == ["closed"]
