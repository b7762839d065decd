"""`repository` and `installation_target` events, sent signed through POST /webhooks/github.

A repository made private, deleted or uninstalled stops serving its links and every earlier answer at
once; renames and transfers keep links working under the new name and record the old one.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from app.db.models import Account, Installation, Repository, RepositoryName
from tests.conftest import Service
from tests.links.helpers import INSTALLATION_ID, Installed, install_repo
from tests.support.payloads import installation_payload, installation_repositories_payload
from tests.support.problems import assert_error_page, assert_problem
from tests.webhooks.repo_payloads import installation_target_renamed_payload, repository_payload

RESULT_VARIANTS = ("", ".json", ".md", ".txt", "/stream")


@pytest.fixture
async def installed(service: Service, fake_github: Any) -> Installed:
    return await install_repo(service, fake_github)


async def _send(installed: Installed, event: str, payload: dict[str, Any]) -> None:
    resp = await installed.service.send_webhook(event, payload)
    assert resp.status_code == 202, resp.text
    await installed.service.drain_jobs()


async def _repository(installed: Installed) -> Repository:
    async with installed.service.clients.sessions() as session:
        repo = await session.get(Repository, installed.repo.id)
        assert repo is not None
        return repo


async def _old_names(installed: Installed) -> set[tuple[str, str, int]]:
    async with installed.service.clients.sessions() as session:
        rows = (await session.execute(select(RepositoryName))).scalars()
        return {(r.owner_lower, r.name_lower, r.repository_id) for r in rows}


async def _answered_with_cache(installed: Installed) -> dict[str, Any]:
    """A finished answer whose link is now held in the web process's link cache."""
    result = await installed.click_and_finish()
    again = await installed.click()
    assert again.status_code == 303 and again.headers["location"] == f"/r/{result['id']}"
    return result


async def _assert_result_withheld(installed: Installed, result: dict[str, Any], status: int) -> None:
    """Every form of the answer is refused with `status`, and none of them carries its text."""
    client = installed.service.client
    for variant in RESULT_VARIANTS:
        resp = await client.get(f"/r/{result['id']}{variant}", headers={"accept": "application/json"})
        assert resp.status_code == status, (variant, resp.status_code)
        assert result["text"] not in resp.text
    sse = await client.get(f"/r/{result['id']}", headers={"accept": "text/event-stream"})
    assert sse.status_code == status and result["text"] not in sse.text
    page = assert_error_page(await client.get(f"/r/{result['id']}", headers={"accept": "text/html"}), status)
    assert result["text"] not in page


async def test_privatized_stops_the_link_and_every_earlier_answer_at_once(installed: Installed) -> None:
    result = await _answered_with_cache(installed)
    badge = installed.base + "/context/explain/badge.svg"
    assert ">explain</text>" in (await installed.service.client.get(badge)).text
    installed.fake_github.edit_repo(installed.repo, private=True)
    await _send(installed, "repository", repository_payload("privatized", installed.repo, INSTALLATION_ID))

    assert (await _repository(installed)).private is True
    link = await installed.click()  # was cached: must not redirect to the answer any more
    # Private: to anyone who may not read it (here, anonymous), as if it did not exist.
    assert link.status_code == 404 and "does not know acme/widgets" in link.text
    await _assert_result_withheld(installed, result, 404)
    as_json = await installed.service.client.get(f"/r/{result['id']}.json")
    assert "There is no answer" in assert_problem(as_json, 404, "results.not_found")["detail"]
    unavailable = await installed.service.client.get(badge)
    assert ">unavailable</text>" in unavailable.text and "explain" not in unavailable.text

    installed.fake_github.edit_repo(installed.repo, private=False)
    await _send(installed, "repository", repository_payload("publicized", installed.repo, INSTALLATION_ID))
    assert (await installed.click()).headers["location"] == f"/r/{result['id']}"
    assert (await installed.service.client.get(f"/r/{result['id']}.txt")).text == result["text"]


async def test_renamed_links_work_under_the_new_name_at_once(installed: Installed) -> None:
    result = await _answered_with_cache(installed)
    installed.fake_github.edit_repo(installed.repo, name="gadgets")
    payload = repository_payload("renamed", installed.repo, INSTALLATION_ID, old_name="widgets")
    await _send(installed, "repository", payload)

    repo = await _repository(installed)
    assert (repo.owner, repo.name, repo.name_lower, repo.active) == ("acme", "gadgets", "gadgets", True)
    assert await _old_names(installed) == {("acme", "widgets", installed.repo.id)}
    renamed = await installed.service.client.get("/acme/gadgets/context/explain")
    assert renamed.status_code == 303 and renamed.headers["location"] == f"/r/{result['id']}"
    answer = (await installed.service.client.get(f"/r/{result['id']}.json")).json()
    assert answer["repo"] == "acme/gadgets" and answer["text"] == result["text"]
    # Badges already pasted in READMEs keep working: the old name redirects, as GitHub's own URLs do.
    old = await installed.service.client.get("/acme/widgets/tree/main/context/explain")
    assert old.status_code == 301 and old.headers["location"] == "/acme/gadgets/tree/main/context/explain"

    # Renamed back: the current name is never also an old name.
    installed.fake_github.edit_repo(installed.repo, name="widgets")
    await _send(
        installed, "repository", repository_payload("renamed", installed.repo, INSTALLATION_ID, old_name="gadgets")
    )
    assert await _old_names(installed) == {("acme", "gadgets", installed.repo.id)}


async def test_transfer_to_an_account_without_the_app_stops_its_links(installed: Installed) -> None:
    result = await _answered_with_cache(installed)
    installed.fake_github.edit_repo(installed.repo, owner="newco")
    payload = repository_payload("transferred", installed.repo, INSTALLATION_ID, old_owner="acme")
    await _send(installed, "repository", payload)

    repo = await _repository(installed)
    assert (repo.owner, repo.name, repo.active) == ("newco", "widgets", False)
    assert await _old_names(installed) == {("acme", "widgets", installed.repo.id)}
    for path in ("/acme/widgets/context/explain", "/newco/widgets/context/explain"):
        assert (await installed.service.client.get(path)).status_code == 404
    await _assert_result_withheld(installed, result, 404)


async def test_transfer_to_an_account_whose_installation_covers_it_moves_the_repository(
    installed: Installed, service: Service
) -> None:
    result = await _answered_with_cache(installed)
    gh = installed.fake_github
    gh.add_installation(6000, "newco", [], account_type="Organization")
    created = installation_payload("created", 6000, gh.account("newco"), [])
    created["installation"]["repository_selection"] = "all"
    await _send(installed, "installation", created)

    gh.edit_repo(installed.repo, owner="newco")
    gh.installations[6000].repo_ids.add(installed.repo.id)
    gh.installations[INSTALLATION_ID].repo_ids.discard(installed.repo.id)
    await _send(installed, "repository", repository_payload("transferred", installed.repo, 6000, old_owner="acme"))

    repo = await _repository(installed)
    async with service.clients.sessions() as session:
        newco = (await session.execute(select(Account).where(Account.login == "newco"))).scalar_one()
    assert (repo.owner, repo.installation_id, repo.account_id, repo.active) == ("newco", 6000, newco.id, True)
    moved = await service.client.get("/newco/widgets/context/explain")
    assert moved.status_code == 303 and moved.headers["location"] == f"/r/{result['id']}"
    old = await service.client.get("/acme/widgets/context/explain")
    assert old.status_code == 301 and old.headers["location"] == "/newco/widgets/context/explain"


async def test_archived_repository_keeps_serving(installed: Installed) -> None:
    result = await _answered_with_cache(installed)
    installed.fake_github.edit_repo(installed.repo, archived=True)
    await _send(installed, "repository", repository_payload("archived", installed.repo, INSTALLATION_ID))
    assert (await _repository(installed)).archived is True
    assert (await installed.click()).headers["location"] == f"/r/{result['id']}"
    assert (await installed.service.client.get(f"/r/{result['id']}.txt")).text == result["text"]

    installed.fake_github.edit_repo(installed.repo, archived=False)
    await _send(installed, "repository", repository_payload("unarchived", installed.repo, INSTALLATION_ID))
    assert (await _repository(installed)).archived is False


async def test_deleted_repository_stops_its_links_and_answers(installed: Installed) -> None:
    result = await _answered_with_cache(installed)
    payload = repository_payload("deleted", installed.repo, INSTALLATION_ID)
    installed.fake_github.delete_repo(installed.repo)
    await _send(installed, "repository", payload)
    assert (await _repository(installed)).active is False
    assert (await installed.click()).status_code == 404
    await _assert_result_withheld(installed, result, 404)


async def test_account_rename_moves_every_repository_of_the_account(installed: Installed, service: Service) -> None:
    result = await _answered_with_cache(installed)
    gh = installed.fake_github
    account = gh.account("acme")
    with gh.lock:
        account.login = "acme-corp"
        gh.accounts["acme-corp"] = gh.accounts.pop("acme")
    await _send(installed, "installation_target", installation_target_renamed_payload(INSTALLATION_ID, account, "acme"))

    async with service.clients.sessions() as session:
        stored = (await session.execute(select(Account).where(Account.github_id == account.id))).scalar_one()
    assert stored.login == "acme-corp"
    assert (await _repository(installed)).owner == "acme-corp"
    assert await _old_names(installed) == {("acme", "widgets", installed.repo.id)}
    moved = await service.client.get("/acme-corp/widgets/context/explain")
    assert moved.status_code == 303 and moved.headers["location"] == f"/r/{result['id']}"


async def test_uninstalling_stops_a_cached_link_and_its_answers_at_once(installed: Installed) -> None:
    result = await _answered_with_cache(installed)
    owner = installed.fake_github.account("acme")
    await _send(installed, "installation", installation_payload("deleted", INSTALLATION_ID, owner, [installed.repo]))
    link = await installed.click()
    assert link.status_code == 404 and "not (or no longer) installed" in link.text
    await _assert_result_withheld(installed, result, 404)


async def test_removing_the_repository_from_the_installation_stops_its_cached_link(installed: Installed) -> None:
    result = await _answered_with_cache(installed)
    owner = installed.fake_github.account("acme")
    removed = installation_repositories_payload("removed", INSTALLATION_ID, owner, [], [installed.repo])
    await _send(installed, "installation_repositories", removed)
    assert (await installed.click()).status_code == 404
    await _assert_result_withheld(installed, result, 404)


async def test_suspending_withholds_links_and_answers_until_unsuspended(installed: Installed) -> None:
    result = await _answered_with_cache(installed)
    owner = installed.fake_github.account("acme")
    await _send(installed, "installation", installation_payload("suspend", INSTALLATION_ID, owner, []))
    assert (await installed.click()).status_code == 404
    await _assert_result_withheld(installed, result, 403)
    await _send(installed, "installation", installation_payload("unsuspend", INSTALLATION_ID, owner, []))
    assert (await installed.click()).headers["location"] == f"/r/{result['id']}"


async def test_repository_events_from_another_installation_are_ignored(installed: Installed, service: Service) -> None:
    gh = installed.fake_github
    installed.fake_github.edit_repo(installed.repo, private=True)
    await _send(installed, "repository", repository_payload("privatized", installed.repo, INSTALLATION_ID))
    gh.add_installation(7000, "mallory", [])
    await _send(installed, "installation", installation_payload("created", 7000, gh.account("mallory"), []))

    installed.fake_github.edit_repo(installed.repo, private=False, name="stolen")
    for action, extra in (("publicized", {}), ("renamed", {"old_name": "widgets"})):
        await _send(installed, "repository", repository_payload(action, installed.repo, 7000, **extra))
    repo = await _repository(installed)
    assert (repo.private, repo.name, repo.installation_id) == (True, "widgets", INSTALLATION_ID)
    async with service.clients.sessions() as session:
        assert (await session.get(Installation, INSTALLATION_ID)).active  # type: ignore[union-attr]
