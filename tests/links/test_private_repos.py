"""Private repositories: links, badges and answers only for signed-in visitors GitHub says may read them.

Everyone else is answered exactly as for a repository (or an answer) that does not exist, so a refusal
never confirms that a private repository exists; anonymous visitors are offered "Sign in with GitHub".
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from app.results.ids import new_result_id
from tests.auth.helpers import log_in, query_of
from tests.conftest import Service
from tests.links.helpers import INSTALLATION_ID
from tests.links.private import (
    BADGES,
    BROWSER,
    JSON,
    LINK,
    UNKNOWN_LINK,
    answered_for,
    browser,
    comparable,
    install_private,
    user_repo_checks,
    viewers,
)
from tests.webhooks.repo_payloads import repository_payload

NO_STORE = "private, no-store"
VARIANTS = ("", ".json", ".md", ".txt", "/stream")


async def test_anonymous_visitors_get_what_a_repository_that_does_not_exist_gets(
    service: Service, fake_github: Any, fake_llm: Any
) -> None:
    installed = await install_private(service, fake_github, "alice")
    client = service.client
    for headers in (JSON, {"accept": "*/*"}, BROWSER):
        private = await client.get(LINK, headers=headers)
        assert private.status_code == 404 and private.headers["cache-control"] == NO_STORE
        assert comparable(private, "widgets") == comparable(await client.get(UNKNOWN_LINK, headers=headers), "gadgets")
        tree = await client.get("/acme/widgets/tree/main/context/explain", headers=headers)
        unknown_tree = await client.get("/acme/gadgets/tree/main/context/explain", headers=headers)
        assert comparable(tree, "widgets") == comparable(unknown_tree, "gadgets")
    page = (await client.get(LINK, headers=BROWSER)).text
    assert f'<a href="/login?next={LINK}">Sign in with GitHub</a>' in page and "sign in with GitHub to see it" in page
    for badge in BADGES:
        private = await client.get(installed.base + badge)
        unknown = await client.get("/acme/gadgets" + badge)
        assert private.status_code == 200 and ">unavailable</text>" in private.text
        assert (private.content, private.headers["etag"], private.headers["cache-control"]) == (
            unknown.content,
            unknown.headers["etag"],
            unknown.headers["cache-control"],
        )
    assert await installed.results() == [] and fake_llm.call_count == 0
    assert user_repo_checks(fake_github) == 0  # nobody signed in: GitHub is not even asked


async def test_a_reader_signs_in_from_the_offer_and_the_owner_pays_once_for_every_reader(
    service: Service, fake_github: Any, fake_llm: Any
) -> None:
    installed = await install_private(service, fake_github, "alice", "carol")
    offer = (await service.client.get(LINK, headers=BROWSER)).text
    sign_in = re.search(r'href="(/login\?next=[^"]+)"', offer)
    assert sign_in is not None
    back = await log_in(service, fake_github, "alice", next_path=query_of(sign_in.group(1))["next"])
    assert back.headers["location"] == LINK  # GitHub's round trip ends on the link itself

    first = await service.client.get(LINK)
    assert first.status_code == 303 and first.headers["cache-control"] == NO_STORE
    location = first.headers["location"]
    await service.drain_jobs()
    answer = (await service.client.get(location + ".json")).json()
    assert (answer["status"], answer["repo"], answer["paid_by"]) == ("done", "acme/widgets", "acme")
    assert answer["cost_usd"] > 0 and len(await installed.debits()) == 1

    async with browser(service, fake_github, "carol") as carol:
        assert (await carol.client.get(LINK)).headers["location"] == location  # the link cache
        service.app.state.link_resolver.cache.clear()
        assert (await carol.client.get(LINK)).headers["location"] == location  # the database
        assert (await carol.client.get(location + ".txt")).text == answer["text"]
    await service.drain_jobs()
    [debit] = await installed.debits()  # one generation, paid by the owner's account
    assert debit.account_id == (await installed.account()).id and fake_llm.call_count == 1
    assert await viewers(service) == {"alice": 1, "carol": 2}  # who read it, for the owner's usage page


async def test_a_reader_gets_every_form_of_the_answer_and_no_shared_cache_keeps_any(
    service: Service, fake_github: Any
) -> None:
    installed, location = await answered_for(service, fake_github, "alice")
    text = (await service.client.get(location + ".txt")).text
    for variant in VARIANTS:
        resp = await service.client.get(location + variant)
        assert resp.status_code == 200 and text in resp.text, variant
        assert resp.headers["cache-control"] == NO_STORE, variant
    page = await service.client.get(location, headers=BROWSER)
    assert page.headers["x-robots-tag"] == "noindex" and page.headers["referrer-policy"] == "no-referrer"
    for badge in BADGES:
        resp = await service.client.get(installed.base + badge)
        assert resp.status_code == 200 and "unavailable" not in resp.text, badge
        assert resp.headers["cache-control"] == NO_STORE, badge
    assert ">explain</text>" in (await service.client.get(installed.base + BADGES[0])).text


async def test_a_signed_in_visitor_who_cannot_read_it_sees_what_an_unknown_address_shows(
    service: Service, fake_github: Any
) -> None:
    installed = await install_private(service, fake_github, "alice")
    async with browser(service, fake_github, "alice") as alice:
        location = (await alice.client.get(LINK)).headers["location"]  # now in the link cache too
    await service.drain_jobs()
    result_id, unknown_id = location.removeprefix("/r/"), new_result_id()
    await log_in(service, fake_github, "mallory")
    client = service.client
    for cached in (True, False):
        if not cached:
            service.app.state.link_resolver.cache.clear()
        for headers in (JSON, BROWSER):
            private = await client.get(LINK, headers=headers)
            unknown = await client.get(UNKNOWN_LINK, headers=headers)
            assert private.status_code == 404 and "Sign in" not in private.text
            assert comparable(private, "widgets") == comparable(unknown, "gadgets")
    for variant in VARIANTS:
        for headers in (JSON, BROWSER):
            private = await client.get(f"/r/{result_id}{variant}", headers=headers)
            unknown = await client.get(f"/r/{unknown_id}{variant}", headers=headers)
            assert private.status_code == 404 and comparable(private, result_id) == comparable(unknown, unknown_id)
    streamed = await client.get(location, headers={"accept": "text/event-stream"})
    assert streamed.status_code == 404 and result_id in streamed.text  # the id asked for, nothing more
    for badge in BADGES:
        assert (await client.get(installed.base + badge)).content == (await client.get("/acme/gadgets" + badge)).content
    # GitHub was asked once for alice and once for mallory: a "no" is remembered too.
    assert user_repo_checks(fake_github) == 2


async def test_an_anonymous_click_never_shares_a_readers_lookup(service: Service, fake_github: Any) -> None:
    await install_private(service, fake_github, "alice")
    async with browser(service, fake_github, "alice") as alice:
        for anonymous_first in (True, False, True, False):
            service.app.state.link_resolver.cache.clear()
            clicks = [service.client.get(LINK, headers=JSON), alice.client.get(LINK)]
            anonymous, reader = await asyncio.gather(*(clicks if anonymous_first else clicks[::-1]))
            if not anonymous_first:
                anonymous, reader = reader, anonymous
            assert anonymous.status_code == 404 and "/r/" not in anonymous.text and "location" not in anonymous.headers
            assert reader.status_code == 303 and reader.headers["location"].startswith("/r/")


async def test_a_renamed_private_repository_redirects_only_its_readers(service: Service, fake_github: Any) -> None:
    installed = await install_private(service, fake_github, "alice")
    fake_github.edit_repo(installed.repo, name="gizmos")
    payload = repository_payload("renamed", installed.repo, INSTALLATION_ID, old_name="widgets")
    assert (await service.send_webhook("repository", payload)).status_code == 202
    await service.drain_jobs()
    old = await service.client.get(LINK, headers=JSON)  # anonymous: the new name is not told
    assert comparable(old, "widgets") == comparable(await service.client.get(UNKNOWN_LINK, headers=JSON), "gadgets")
    await log_in(service, fake_github, "alice")
    moved = await service.client.get(LINK)
    assert moved.status_code == 301 and moved.headers["location"] == "/acme/gizmos/context/explain"
    assert moved.headers["cache-control"] == NO_STORE
