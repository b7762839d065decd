"""The repository page's forms: the monthly cap and the pause switch. Each needs the session's CSRF token, answers
303 back to the page with a notice, and refuses bad input with a red error block; both take effect at once."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.context_settings.repository import paused_context_ids
from app.db.models import Repository
from app.links.cache import LinkCache
from tests.auth.helpers import log_in
from tests.conftest import Service
from tests.dashboard.helpers import PAGE, csrf_token, signed_in_owner
from tests.links.helpers import Installed
from tests.support.problems import BROWSER_ACCEPT

HTML = {"accept": BROWSER_ACCEPT}


async def cap_of(installed: Installed) -> int | None:
    async with installed.service.clients.sessions() as session:
        stmt = select(Repository.monthly_cap_micros).where(Repository.id == installed.repo.id)
        return (await session.execute(stmt)).scalar_one()


async def paused(installed: Installed) -> set[str]:
    async with installed.service.clients.sessions() as session:
        return await paused_context_ids(session, installed.repo.id)


async def test_the_monthly_cap_form(service: Service, fake_github: Any) -> None:
    installed = await signed_in_owner(service, fake_github)
    token = await csrf_token(service, PAGE)

    refused = await service.client.post(f"{PAGE}/cap", data={"monthly_cap_usd": "12.50"}, headers=HTML)
    assert refused.status_code == 403 and "This form has expired" in refused.text
    forged = await service.client.post(f"{PAGE}/cap", data={"monthly_cap_usd": "12.50", "csrf_token": "x" * 40})
    assert forged.status_code == 403 and await cap_of(installed) is None

    saved = await service.client.post(f"{PAGE}/cap", data={"monthly_cap_usd": "$12.50", "csrf_token": token})
    assert (saved.status_code, saved.headers["location"]) == (303, f"{PAGE}?saved=cap")
    assert await cap_of(installed) == 12_500_000
    page = await service.client.get(saved.headers["location"])
    assert 'id="notice"' in page.text and "The monthly cap is saved" in page.text
    assert 'data-cap-usd="12.500000">$12.50<' in page.text and 'value="12.50"' in page.text

    for bad, reason in (("-1", "cannot be negative"), ("twelve", "is not an amount"), ("1e30", "reasonable size")):
        shown = await service.client.post(f"{PAGE}/cap", data={"monthly_cap_usd": bad, "csrf_token": token})
        assert shown.status_code == 400 and 'class="notice error" id="error"' in shown.text, bad
        assert reason in shown.text and f'value="{bad}"' in shown.text  # the page again, with what was typed
        assert await cap_of(installed) == 12_500_000

    cleared = await service.client.post(f"{PAGE}/cap", data={"monthly_cap_usd": " ", "csrf_token": token})
    assert cleared.status_code == 303 and await cap_of(installed) is None


async def test_a_cap_stops_the_next_generation(service: Service, fake_github: Any, fake_llm: Any) -> None:
    installed = await signed_in_owner(service, fake_github)
    token = await csrf_token(service, PAGE)
    await service.client.post(f"{PAGE}/cap", data={"monthly_cap_usd": "0", "csrf_token": token})
    capped = await installed.click_and_finish()
    assert (capped["status"], capped["error_code"]) == ("failed", "repo_cap")
    assert fake_llm.calls == [] and await installed.debits() == []

    await service.client.post(f"{PAGE}/cap", data={"monthly_cap_usd": "1", "csrf_token": token})
    answered = await installed.click_and_finish()
    assert answered["status"] == "done" and len(await installed.debits()) == 1


async def test_the_pause_switch_takes_effect_at_once(service: Service, fake_github: Any, fake_llm: Any) -> None:
    installed = await signed_in_owner(service, fake_github)
    first = await installed.click_and_finish()
    await installed.push({"src/new.py": "x = 2\n"})  # a new commit: the link needs a new answer
    token = await csrf_token(service, PAGE)
    pause = f"{PAGE}/contexts/explain/pause"

    refused = await service.client.post(pause, data={"paused": "1"}, headers=HTML)
    assert refused.status_code == 403 and await paused(installed) == set()

    calls = len(fake_llm.calls)
    done = await service.client.post(pause, data={"paused": "1", "csrf_token": token})
    assert (done.status_code, done.headers["location"]) == (303, f"{PAGE}?saved=paused&context=explain")
    assert await paused(installed) == {"explain"}
    link = await installed.click()
    assert link.headers["location"] == f"/r/{first['id']}?older=paused"  # no new answer, nothing paid
    await service.drain_jobs()
    assert len(fake_llm.calls) == calls
    page = (await service.client.get(done.headers["location"])).text
    assert "Paused “explain”" in page and 'data-context="explain" data-status="valid" data-paused="true"' in page
    assert '<button type="submit" name="toggle">Resume</button>' in page

    resumed = await service.client.post(pause, data={"paused": "0", "csrf_token": token})
    assert resumed.headers["location"] == f"{PAGE}?saved=resumed&context=explain"
    again = await installed.click_and_finish()
    assert again["status"] == "done" and again["id"] != first["id"]


async def test_pausing_drops_the_repositorys_cached_links(service: Service, fake_github: Any) -> None:
    """A pause is published after its commit: this process's link cache forgets the repository at once."""
    installed = await signed_in_owner(service, fake_github)
    await installed.click_and_finish()
    cache: LinkCache = service.app.state.link_resolver.cache
    key = LinkCache.key("acme", "widgets", None, "explain")
    assert cache.get(key) is not None
    token = await csrf_token(service, PAGE)
    await service.client.post(f"{PAGE}/contexts/api/pause", data={"paused": "1", "csrf_token": token})
    assert cache.get(key) is None


async def test_forms_reach_only_the_viewers_repositories(service: Service, fake_github: Any) -> None:
    installed = await signed_in_owner(service, fake_github)
    await log_in(service, fake_github, "mallory")  # a signed-in stranger, with a valid token of their own
    token = await csrf_token(service)
    for path, form in ((f"{PAGE}/cap", {"monthly_cap_usd": "0"}), (f"{PAGE}/contexts/explain/pause", {})):
        resp = await service.client.post(path, data={**form, "csrf_token": token}, headers=HTML)
        assert resp.status_code == 404 and "that you can see" in resp.text
    assert await cap_of(installed) is None and await paused(installed) == set()

    await log_in(service, fake_github, "octo")
    token = await csrf_token(service)
    unknown = await service.client.post(f"{PAGE}/contexts/nope/pause", data={"csrf_token": token}, headers=HTML)
    assert unknown.status_code == 404 and "has no context &#34;nope&#34;" in unknown.text

    service.client.cookies.clear()
    anonymous = await service.client.post(f"{PAGE}/cap", data={"monthly_cap_usd": "0"}, headers=HTML)
    assert (anonymous.status_code, anonymous.headers["location"]) == (303, "/login")
    assert await cap_of(installed) is None
