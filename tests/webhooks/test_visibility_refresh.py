"""The safety net behind webhooks: visibility and names are read from GitHub again when an installation
is synced and when a new generation starts, so a lost `privatized` event cannot keep code public."""

from __future__ import annotations

from typing import Any

import pytest

from app.accounts.refresh import refresh_repository
from tests.conftest import Service
from tests.links.helpers import INSTALLATION_ID, Installed, install_repo
from tests.support.payloads import installation_payload, installation_repositories_payload, push_payload
from tests.webhooks.helpers import repository
from tests.webhooks.repo_payloads import repository_payload


@pytest.fixture
async def installed(service: Service, fake_github: Any) -> Installed:
    return await install_repo(service, fake_github)


async def _sync(installed: Installed) -> None:
    """GitHub sends new_permissions_accepted; the service then syncs the installation's repositories."""
    payload = installation_payload(
        "new_permissions_accepted", INSTALLATION_ID, installed.fake_github.account("acme"), [installed.repo]
    )
    assert (await installed.service.send_webhook("installation", payload)).status_code == 202
    await installed.service.drain_jobs()


async def test_sync_makes_a_repository_private_and_public_again_and_drops_its_cached_link(
    installed: Installed,
) -> None:
    result = await installed.click_and_finish()
    assert (await installed.click()).status_code == 303  # cached now

    installed.fake_github.edit_repo(installed.repo, private=True)  # no webhook arrives
    await _sync(installed)
    assert (await repository(installed.service, installed.repo.id)).private is True  # type: ignore[union-attr]
    assert (await installed.click()).status_code == 404  # private: unknown to anonymous visitors
    assert (await installed.service.client.get(f"/r/{result['id']}.txt")).status_code == 404

    installed.fake_github.edit_repo(installed.repo, private=False, name="gadgets")
    await _sync(installed)
    stored = await repository(installed.service, installed.repo.id)
    assert stored is not None and (stored.private, stored.name) == (False, "gadgets")
    assert (await installed.service.client.get("/acme/gadgets/context/explain")).status_code == 303


async def test_a_generation_on_a_repository_made_private_without_a_webhook_fails_uncharged(
    installed: Installed, fake_llm: Any
) -> None:
    installed.fake_github.edit_repo(installed.repo, private=True)
    resp = await installed.click()  # the service still believes it public
    assert resp.status_code == 303
    await installed.service.drain_jobs()
    [result] = await installed.results()  # its page is refused now: read it from the database
    assert (result.status, result.error_code) == ("failed", "repo_unavailable")
    assert result.error is not None and "no longer public" in result.error and "Nothing was charged" in result.error
    assert (await installed.service.client.get(resp.headers["location"])).status_code == 404

    assert fake_llm.call_count == 0 and await installed.debits() == []
    account = await installed.account()
    assert (account.balance_micros, account.reserved_micros) == (5_000_000, 0)
    assert (await repository(installed.service, installed.repo.id)).private is True  # type: ignore[union-attr]
    assert (await installed.click()).status_code == 404  # its link is refused from now on


async def test_a_generation_on_a_deleted_repository_fails_and_deactivates_it(
    installed: Installed, fake_llm: Any
) -> None:
    installed.fake_github.delete_repo(installed.repo)  # no webhook arrives
    resp = await installed.click()
    assert resp.status_code == 303
    await installed.service.drain_jobs()
    [result] = await installed.results()
    assert (result.status, result.error_code) == ("failed", "repo_unavailable")
    assert fake_llm.call_count == 0 and await installed.debits() == []
    assert (await installed.service.client.get(resp.headers["location"])).status_code == 404
    assert (await repository(installed.service, installed.repo.id)).active is False  # type: ignore[union-attr]


async def test_refresh_follows_a_rename_and_answers_none_when_gone(installed: Installed) -> None:
    rt = installed.service.clients
    installed.fake_github.edit_repo(installed.repo, name="gizmos", archived=True)
    fresh = await refresh_repository(rt.sessions, rt.github, rt.invalidation, installed.repo.id)
    assert fresh is not None and (fresh.owner, fresh.name, fresh.archived, fresh.active) == (
        "acme",
        "gizmos",
        True,
        True,
    )
    installed.fake_github.delete_repo(installed.repo)
    assert await refresh_repository(rt.sessions, rt.github, rt.invalidation, installed.repo.id) is None
    assert (
        await refresh_repository(rt.sessions, rt.github, rt.invalidation, installed.repo.id) is None
    )  # deactivated: no second GitHub call needed


async def test_a_late_push_does_not_make_a_private_repository_public_but_a_re_added_one_is_current(
    installed: Installed,
) -> None:
    gh, service = installed.fake_github, installed.service
    gh.edit_repo(installed.repo, private=True)
    assert (await service.send_webhook("repository", _privatized(installed))).status_code == 202
    await service.drain_jobs()
    stale_push = push_payload(installed.repo, INSTALLATION_ID, branch="main", before="0" * 40, after="1" * 40)
    stale_push["repository"]["private"] = False  # sent before the privatization, processed after it
    assert (await service.send_webhook("push", stale_push)).status_code == 202
    await service.drain_jobs()
    assert (await repository(service, installed.repo.id)).private is True  # type: ignore[union-attr]

    # Removed from the installation, made public meanwhile (no event reaches us), added again.
    owner = gh.account("acme")
    removed = installation_repositories_payload("removed", INSTALLATION_ID, owner, [], [installed.repo])
    await service.send_webhook("installation_repositories", removed)
    gh.edit_repo(installed.repo, private=False)
    added = installation_repositories_payload("added", INSTALLATION_ID, owner, [installed.repo], [])
    await service.send_webhook("installation_repositories", added)
    await service.drain_jobs()
    stored = await repository(service, installed.repo.id)
    assert stored is not None and (stored.private, stored.active) == (False, True)


def _privatized(installed: Installed) -> dict[str, Any]:
    return repository_payload("privatized", installed.repo, INSTALLATION_ID)
