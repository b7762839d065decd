"""Access to a private repository follows GitHub: lost access or a revoked token stops it within the TTL, and a
repository made public or private by webhook is served accordingly at once."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from app.auth import crypto
from app.settings import Settings
from tests.auth.helpers import log_in, web_sessions
from tests.conftest import Service, running_service
from tests.links.helpers import INSTALLATION_ID, Installed
from tests.links.private import BADGES, JSON, LINK, answered_for, browser, install_private, user_repo_checks
from tests.support.payloads import installation_payload
from tests.webhooks.repo_payloads import repository_payload

TTL = 1.0


async def _send(installed: Installed, event: str, payload: dict[str, Any]) -> None:
    assert (await installed.service.send_webhook(event, payload)).status_code == 202
    await installed.service.drain_jobs()


async def test_lost_access_and_a_revoked_token_stop_reading_within_the_ttl(
    settings: Settings, fake_github: Any
) -> None:
    fast = settings.model_copy(update={"private_access_ttl_seconds": TTL})
    async with running_service(fast) as service:
        installed = await install_private(service, fake_github, "alice", "carol", "dave")
        async with browser(service, fake_github, "dave") as dave:
            location = (await dave.client.get(LINK)).headers["location"]
        await service.drain_jobs()
        async with browser(service, fake_github, "alice") as alice, browser(service, fake_github, "carol") as carol:
            # Asked GitHub just now, so its answers are fresh for the checks below.
            assert (await alice.client.get(LINK)).status_code == 303
            assert (await carol.client.get(location + ".txt")).status_code == 200
            asked = user_repo_checks(fake_github)

            fake_github.oauth.remove_collaborator(installed.repo, "alice")  # alice loses access on GitHub
            fake_github.oauth.revoke("carol")  # carol revokes the App: her token stops working
            # GitHub's last answer holds for the TTL, without asking again.
            assert (await alice.client.get(LINK)).status_code == 303
            assert (await carol.client.get(location + ".txt")).status_code == 200
            assert user_repo_checks(fake_github) == asked

            await asyncio.sleep(TTL + 0.2)
            for reader in (alice, carol):
                assert (await reader.client.get(LINK, headers=JSON)).status_code == 404
                for variant in ("", ".json", ".txt"):
                    assert (await reader.client.get(location + variant, headers=JSON)).status_code == 404
                assert ">unavailable</text>" in (await reader.client.get(installed.base + BADGES[0])).text
            assert user_repo_checks(fake_github) > asked


async def test_made_public_and_private_again_by_webhook(service: Service, fake_github: Any) -> None:
    installed = await install_private(service, fake_github, "alice")
    async with browser(service, fake_github, "alice") as alice:
        location = (await alice.client.get(LINK)).headers["location"]
        await service.drain_jobs()
        text = (await alice.client.get(location + ".txt")).text
        assert (await service.client.get(location + ".txt")).status_code == 404  # anonymous

        fake_github.edit_repo(installed.repo, private=False)
        await _send(installed, "repository", repository_payload("publicized", installed.repo, INSTALLATION_ID))
        public = await service.client.get(LINK)  # anyone, at once, with the same answer
        assert public.status_code == 303 and public.headers["location"] == location
        assert "cache-control" not in public.headers
        shown = await service.client.get(location + ".txt")
        assert shown.text == text and "private" not in shown.headers.get("cache-control", "")

        fake_github.edit_repo(installed.repo, private=True)
        await _send(installed, "repository", repository_payload("privatized", installed.repo, INSTALLATION_ID))
        assert (await service.client.get(LINK, headers=JSON)).status_code == 404  # was cached: dropped at once
        assert (await service.client.get(location + ".txt")).status_code == 404
        again = await alice.client.get(LINK)
        assert again.headers["location"] == location and again.headers["cache-control"] == "private, no-store"
        assert (await alice.client.get(location + ".txt")).text == text


async def test_an_uninstalled_private_repository_is_unknown_even_to_its_readers(
    service: Service, fake_github: Any
) -> None:
    installed, location = await answered_for(service, fake_github, "alice")
    payload = installation_payload("deleted", INSTALLATION_ID, fake_github.account("acme"), [installed.repo])
    await _send(installed, "installation", payload)
    link = (await service.client.get(LINK, headers=JSON)).json()
    assert link["code"] == "link.repo_not_found"  # not "not installed": that would confirm the name
    answer = (await service.client.get(location + ".json")).json()
    assert answer["code"] == "results.not_found"


async def test_a_link_asked_while_it_seemed_public_is_not_answered_once_github_says_private(
    service: Service, fake_github: Any, fake_llm: Any
) -> None:
    """The safety net behind webhooks: an anonymous click on a repository made private meanwhile spends nothing."""
    installed = await install_private(service, fake_github, "alice")
    fake_github.edit_repo(installed.repo, private=False)
    await _send(installed, "repository", repository_payload("publicized", installed.repo, INSTALLATION_ID))
    fake_github.edit_repo(installed.repo, private=True)  # no webhook arrives
    assert (await service.client.get(LINK)).status_code == 303
    await service.drain_jobs()
    [result] = await installed.results()
    assert (result.status, result.error_code) == ("failed", "repo_unavailable")
    assert fake_llm.call_count == 0 and await installed.debits() == []

    await log_in(service, fake_github, "alice")  # a reader's click, now that it is known private, is answered
    location = (await service.client.get(LINK)).headers["location"]
    await service.drain_jobs()
    assert (await service.client.get(location + ".json")).json()["status"] == "done"
    assert fake_llm.call_count == 1 and len(await installed.debits()) == 1


async def test_when_github_cannot_say_the_answer_is_no_and_it_is_asked_again(
    service: Service, fake_github: Any
) -> None:
    await install_private(service, fake_github, "alice")
    await log_in(service, fake_github, "alice")
    fake_github.fail_next("GET", r"^/repos/acme/widgets$", 502)
    refused = await service.client.get(LINK, headers=JSON)
    assert refused.status_code == 404 and refused.json()["code"] == "link.repo_not_found"
    assert (await service.client.get(LINK)).status_code == 303  # nothing was remembered of the failure


async def test_a_token_github_renews_during_a_check_is_kept_on_the_session(service: Service, fake_github: Any) -> None:
    fake_github.oauth.token_lifetime = timedelta(seconds=30)  # near its end: renewed on use
    await install_private(service, fake_github, "alice")
    await log_in(service, fake_github, "alice")
    [before] = await web_sessions(service)
    assert (await service.client.get(LINK)).status_code == 303
    [after] = await web_sessions(service)
    token = crypto.decrypt_json(service.clients.settings.secret_key, after.token_encrypted)
    assert after.token_encrypted != before.token_encrypted and token is not None
    assert fake_github.oauth.tokens[token["access_token"]].login == "alice"  # the one GitHub issued last
