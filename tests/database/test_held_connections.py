"""The rule app/db/engine.py states: no database connection is held across a call to GitHub or the model API.

Every flow that reaches an outside service runs under a watch that records any HTTP call made by a task
holding a pooled connection (tests/support/held_connections.py), on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text, update

from app.auth.reach import REACH_TTL
from app.db.models import Repository, utcnow
from tests.auth.helpers import change_sessions, install, log_in
from tests.conftest import Service
from tests.links.helpers import INSTALLATION_ID, install_repo
from tests.links.private import LINK, install_private
from tests.support.held_connections import HeldConnectionWatch, watch_held_connections
from tests.support.payloads import installation_payload
from tests.webhooks.repo_payloads import repository_payload


@pytest.fixture
def watch(service: Service, monkeypatch: pytest.MonkeyPatch) -> Any:
    with watch_held_connections(service.clients.engine, monkeypatch) as watch:
        yield watch


async def test_webhooks_links_and_generations_hold_no_connection_while_calling_out(
    service: Service, fake_github: Any, fake_llm: Any, watch: HeldConnectionWatch
) -> None:
    installed = await install_repo(service, fake_github)  # installation sync, check runs
    await installed.push({"src/more.py": "y = 2\n"})  # push: context.json read, check run
    await installed.click_and_finish()  # link, visibility refresh, tarball, model call, charge
    await installed.push({"src/x.py": "x = 1\n"}, branch="feature/x")
    await installed.click_and_finish("/tree/feature/x/context/api")
    assert (await installed.click("/tree/nope/context/api")).status_code == 404  # branch lookup on GitHub
    await service.drain_jobs()
    assert watch.outside_calls >= 10 and fake_llm.call_count == 2
    assert not watch.calls and not watch.nested, watch.report()


async def test_events_syncs_and_lookups_hold_no_connection_while_calling_out(
    service: Service, fake_github: Any, fake_llm: Any, watch: HeldConnectionWatch
) -> None:
    installed = await install_repo(service, fake_github)
    async with service.clients.sessions() as session:  # the default branch is unknown: learnt from GitHub
        await session.execute(update(Repository).values(default_branch=None))
        await session.commit()
    await installed.click_and_finish()
    sync = installation_payload(
        "new_permissions_accepted", INSTALLATION_ID, fake_github.account("acme"), [installed.repo]
    )
    assert (await service.send_webhook("installation", sync)).status_code == 202
    fake_github.edit_repo(installed.repo, private=True)
    assert (
        await service.send_webhook("repository", repository_payload("privatized", installed.repo, INSTALLATION_ID))
    ).status_code == 202
    await service.drain_jobs()
    fake_github.edit_repo(installed.repo, private=False)
    assert (
        await service.send_webhook("repository", repository_payload("publicized", installed.repo, INSTALLATION_ID))
    ).status_code == 202
    await service.drain_jobs()
    await installed.push({"src/y.py": "z = 3\n"})
    await installed.click_and_finish()
    assert watch.outside_calls >= 10 and fake_llm.call_count == 2
    assert not watch.calls and not watch.nested, watch.report()


async def test_logins_and_their_checks_with_github_hold_no_connection_while_calling_out(
    service: Service, fake_github: Any, watch: HeldConnectionWatch
) -> None:
    fake_github.oauth.token_lifetime = timedelta(seconds=30)  # each check also renews the user's token
    fake_github.oauth.add_member("octo-org", "alice", role="admin")
    await install(service, fake_github, 101, "alice")
    await install(service, fake_github, 102, "octo-org", "Organization")
    await log_in(service, fake_github, "alice")  # code exchange, /user, installations, org membership
    await change_sessions(service, reach_checked_at=utcnow() - REACH_TTL - timedelta(seconds=1))
    assert (await service.client.get("/dashboard")).status_code == 200  # the reach checked again, as alice
    await log_in(service, fake_github, "newcomer")
    assert "Install the GitHub App" in (await service.client.get("/dashboard")).text  # the App's page, asked
    assert watch.outside_calls >= 10
    assert not watch.calls and not watch.nested, watch.report()


async def test_private_repository_readers_are_checked_holding_no_connection(
    service: Service, fake_github: Any, fake_llm: Any, watch: HeldConnectionWatch
) -> None:
    fake_github.oauth.token_lifetime = timedelta(seconds=30)  # each check also renews the user's token
    installed = await install_private(service, fake_github, "alice")
    await log_in(service, fake_github, "alice")
    location = (await service.client.get(LINK)).headers["location"]  # access asked with alice's token
    await service.drain_jobs()
    await log_in(service, fake_github, "alice")  # a new session: GitHub is asked again
    assert (await service.client.get(location + ".txt")).status_code == 200
    assert (await service.client.get(installed.base + "/badge.svg")).status_code == 200
    await log_in(service, fake_github, "mallory")
    assert (await service.client.get(LINK)).status_code == 404  # asked, and refused
    assert watch.outside_calls >= 10 and fake_llm.call_count == 1
    assert not watch.calls and not watch.nested, watch.report()


async def test_the_watch_reports_a_call_made_inside_a_transaction(
    service: Service, fake_github: Any, watch: HeldConnectionWatch
) -> None:
    async with httpx.AsyncClient() as client:
        await client.get(fake_github.url + "/meta")  # no connection held: fine
        async with service.clients.sessions() as session:
            await session.execute(text("SELECT 1"))
            await client.get(fake_github.url + "/meta")
    assert len(watch.calls) == 1 and watch.calls[0].url.endswith("/meta")
