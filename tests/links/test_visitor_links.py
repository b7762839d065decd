"""Visitor links end to end: click → 303 → streamed, cached, paid answer; every failure explained."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from app.clients import pick
from app.context_files.checks import CheckClients
from app.fetch import FetchPolicy
from app.links.resolve import LinkOutcome, LinkRequest, resolve_link
from tests.conftest import Service
from tests.fakes.llm import default_reply, estimate_completion_tokens
from tests.links.helpers import Installed, finish_link_refreshes, install_repo
from tests.support.openapi import assert_matches_component
from tests.support.problems import BROWSER_ACCEPT, assert_error_page, assert_problem
from tests.support.servers import run_asgi_in_thread


@pytest.fixture
async def installed(service: Service, fake_github: Any) -> Installed:
    return await install_repo(service, fake_github)


async def test_first_click_generates_streams_and_charges_the_owner(installed: Installed, fake_llm: Any) -> None:
    resp = await installed.click()
    assert resp.status_code == 303 and resp.headers["location"].startswith("/r/")
    await installed.service.drain_jobs()
    result = (await installed.service.client.get(resp.headers["location"] + ".json")).json()
    assert_matches_component(result, "ResultJSON")

    [call] = fake_llm.calls
    system, user = call.body["messages"]
    assert user["content"] == "Explain what acme/widgets does on main."
    assert "README.md" in system["content"] and "def widget()" in system["content"]
    assert "How to use widgets" not in system["content"]  # docs/ is not selected by this entry
    assert call.body["stream"] is True and call.body["stream_options"] == {"include_usage": True}

    assert result["status"] == "done" and result["text"] == default_reply(call.body["messages"])
    assert result["usage"]["completion_tokens"] == estimate_completion_tokens(result["text"])
    assert result["paid_by"] == "acme" and result["cost_usd"] > 0
    assert (result["repo"], result["branch"], result["context_id"], result["model"]) == (
        "acme/widgets",
        "main",
        "explain",
        "gpt-4.1",
    )
    [debit] = await installed.debits()
    account = await installed.account()
    assert debit.amount_micros == -round(result["cost_usd"] * 1_000_000)
    assert account.balance_micros == 5_000_000 + debit.amount_micros and account.reserved_micros == 0


async def test_second_click_is_a_free_cache_hit(installed: Installed, fake_llm: Any) -> None:
    first = await installed.click_and_finish()
    again = await installed.click()
    assert again.status_code == 303 and again.headers["location"] == f"/r/{first['id']}"
    installed.service.app.state.link_resolver.cache.forget_repo("acme", "widgets")  # also without the memory cache
    again = await installed.click()
    assert again.headers["location"] == f"/r/{first['id']}"
    await installed.service.drain_jobs()
    assert fake_llm.call_count == 1 and len(await installed.debits()) == 1


async def test_new_commit_outside_the_selected_files_reuses_the_answer(installed: Installed, fake_llm: Any) -> None:
    first = await installed.click_and_finish()
    await installed.push({"docs/more.md": "Not selected by the explain entry.\n"})
    second = await installed.click_and_finish()
    assert second["id"] != first["id"] and second["commit"] != first["commit"]
    assert second["cached_from"] == first["id"] and second["text"] == first["text"]
    assert second["cost_usd"] == 0 and fake_llm.call_count == 1 and len(await installed.debits()) == 1

    await installed.push({"src/new.py": "print('selected')\n"})
    third = await installed.click_and_finish()
    assert third["cached_from"] is None and fake_llm.call_count == 2


async def test_concurrent_first_clicks_make_one_upstream_call(installed: Installed, fake_llm: Any) -> None:
    installed.service.app.state.link_resolver.cache._ttl = 0  # every click goes to the database
    fake_llm.token_delay = 0.01
    responses = await asyncio.gather(*(installed.click() for _ in range(25)))
    assert {r.status_code for r in responses} == {303}
    assert len({r.headers["location"] for r in responses}) == 1
    await installed.service.drain_jobs()
    assert fake_llm.call_count == 1 and len(await installed.results()) == 1


async def test_exhausted_budget_without_history_says_so(installed: Installed, fake_llm: Any) -> None:
    await installed.set_balance(0)
    page = assert_error_page(await installed.click(accept=BROWSER_ACCEPT), 402)
    assert "budget" in page
    for accept in ("application/json", "*/*"):
        assert "budget" in assert_problem(await installed.click(accept=accept), 402, "link.budget_exhausted")["detail"]
    assert fake_llm.call_count == 0


async def test_exhausted_budget_serves_the_last_good_answer_marked_older(installed: Installed, fake_llm: Any) -> None:
    first = await installed.click_and_finish()
    await installed.set_balance(0)
    await installed.push({"README.md": "# Widgets v2\n"})  # selected file changed: a new answer is needed
    resp = await installed.click()
    assert resp.status_code == 303 and resp.headers["location"] == f"/r/{first['id']}?older=budget_exhausted"
    page = await installed.service.client.get(resp.headers["location"])
    assert page.status_code == 200 and "Older answer" in page.text and "budget" in page.text
    assert fake_llm.call_count == 1


async def test_budget_too_small_for_the_worst_case_fails_without_charge(installed: Installed, fake_llm: Any) -> None:
    await installed.set_balance(50)  # 0.00005 USD: less than the reservation a generation needs
    result = await installed.click_and_finish()
    assert result["status"] == "failed" and result["error_code"] == "budget_exhausted"
    account = await installed.account()
    assert (account.balance_micros, account.reserved_micros) == (50, 0)
    assert fake_llm.call_count == 0 and await installed.debits() == []
    page = await installed.service.client.get(f"/r/{result['id']}")
    assert 'class="notice error"' in page.text and "budget" in page.text


async def test_upstream_failure_is_reported_and_nothing_is_charged(installed: Installed, fake_llm: Any) -> None:
    fake_llm.fail_next(status=500, times=10, message="the model is on fire")
    result = await installed.click_and_finish()
    assert result["status"] == "failed" and result["error"] == "The model provider returned an error (HTTP 500)."
    assert fake_llm.call_count == 3  # bounded retries
    account = await installed.account()
    assert (account.balance_micros, account.reserved_micros) == (5_000_000, 0)
    page = await installed.service.client.get(f"/r/{result['id']}")
    assert "returned an error (HTTP 500)" in page.text and 'role="alert"' in page.text
    assert "the model is on fire" not in page.text  # the upstream's own words stay in the log
    fake_llm.reset()
    retry = await installed.click_and_finish()  # a failed answer does not block a new attempt
    assert retry["status"] == "done" and retry["id"] != result["id"]


async def test_broken_stream_is_retried_and_charged_once(installed: Installed, fake_llm: Any) -> None:
    fake_llm.cut_stream_next(after_chunks=4)
    result = await installed.click_and_finish()
    assert result["status"] == "done" and fake_llm.call_count == 2
    assert result["text"] == default_reply(fake_llm.calls[-1].body["messages"])
    assert len(await installed.debits()) == 1


async def test_rate_limit_on_uncached_generations(service: Service, fake_github: Any, fake_llm: Any) -> None:
    service.app.state.link_resolver.rate_limiter._limit = 2  # type: ignore[attr-defined]
    installed = await install_repo(service, fake_github)
    assert (await installed.click("/context/explain")).status_code == 303
    assert (await installed.click("/context/api")).status_code == 303
    limited = await installed.click("/context/docs")
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    assert "Too many" in limited.text
    assert (await installed.click("/context/explain")).status_code == 303  # cached answers stay free
    await service.drain_jobs()
    assert fake_llm.call_count == 2


async def test_model_output_is_rendered_safely(installed: Installed, fake_llm: Any) -> None:
    fake_llm.script('# Title\n<script>alert("x")</script> [click](javascript:alert(1)) **bold**')
    result = await installed.click_and_finish()
    page = (await installed.service.client.get(f"/r/{result['id']}")).text
    answer = page.split('<article id="answer">', 1)[1].split("</article>", 1)[0]
    assert "<script>alert" not in answer and "javascript:" not in answer.replace("&lt;", "")
    assert "&lt;script&gt;" in answer and "<strong>bold</strong>" in answer and "<h1>Title</h1>" in answer
    md = await installed.service.client.get(f"/r/{result['id']}.md")
    assert md.headers["content-type"].startswith("text/markdown") and md.text == result["text"]
    txt = await installed.service.client.get(f"/r/{result['id']}.txt")
    assert txt.headers["content-type"].startswith("text/plain")


async def test_finished_result_streams_whole_over_sse(installed: Installed) -> None:
    result = await installed.click_and_finish()
    for url, headers in ((f"/r/{result['id']}/stream", {}), (f"/r/{result['id']}", {"accept": "text/event-stream"})):
        resp = await installed.service.client.get(url, headers=headers)
        assert resp.headers["content-type"].startswith("text/event-stream")
        assert "event: delta" in resp.text and "event: done" in resp.text


async def _page(scope: Any, receive: Any, send: Any) -> None:
    """A tiny web page on loopback whose content must only reach the model when fetching is allowed."""
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"The secret word is PAPAYA."})


@pytest.fixture
def page_url() -> Iterator[str]:
    with run_asgi_in_thread(_page) as base:
        yield f"{base}/notes.txt"


async def test_prompt_urls_to_private_addresses_are_not_fetched(
    service: Service, fake_github: Any, fake_llm: Any, page_url: str
) -> None:
    context = {"context": {"explain": {"summary": "s", "prompt": f"Compare with {page_url} please."}}}
    installed = await install_repo(service, fake_github, context=context)
    service.replace_client("fetch_policy", FetchPolicy(allowed_ports=None))  # only the address rule can refuse it
    await installed.click_and_finish()
    user = fake_llm.calls[-1].body["messages"][1]["content"]
    assert "not fetched: address 127.0.0.1 is loopback" in user
    assert "PAPAYA" not in user


async def test_prompt_urls_on_allowed_hosts_are_appended(
    service: Service, fake_github: Any, fake_llm: Any, page_url: str
) -> None:
    context = {"context": {"explain": {"summary": "s", "prompt": f"Compare with {page_url} please."}}}
    installed = await install_repo(service, fake_github, context=context)
    service.replace_client("fetch_policy", FetchPolicy(allowed_ports=None, allow_private=True))  # a test-only policy
    await installed.click_and_finish()
    user = fake_llm.calls[-1].body["messages"][1]["content"]
    assert f"--- Content of {page_url} ---\nThe secret word is PAPAYA." in user


async def test_hostile_file_names_do_not_break_the_context(service: Service, fake_github: Any, fake_llm: Any) -> None:
    installed = await install_repo(service, fake_github)
    await installed.push({"src/evil\nname<script>.py": "x = 1\n", "src/\u202eexe.py": "y = 2\n"})
    await installed.click_and_finish()
    system = fake_llm.calls[-1].body["messages"][0]["content"]
    assert "x = 1" in system and "y = 2" in system
    assert "evil\nname" not in system and "\u202e" not in system


async def test_snapshot_is_downloaded_once_per_commit(installed: Installed, fake_github: Any) -> None:
    await installed.click_and_finish("/context/explain")
    await installed.click_and_finish("/context/api")
    await installed.click_and_finish("/context/docs")
    assert len(fake_github.find_requests("GET", r"/tarball/")) == 1


async def test_database_single_flight_across_processes(installed: Installed, fake_llm: Any) -> None:
    """Replicas don't share memory: concurrent lookups on separate connections still create one result."""
    clients = pick(CheckClients, vars(installed.service.clients))

    server = installed.service.app.state.link_resolver

    async def lookup() -> LinkOutcome:
        link = LinkRequest("acme", "widgets", None, "explain", "client")
        return await resolve_link(clients, link, server.lookups, server.rate_limiter)

    outcomes = await asyncio.gather(*(lookup() for _ in range(12)))
    assert len({o.result_id for o in outcomes}) == 1 and sum(o.created for o in outcomes) == 1


async def test_stale_link_is_served_while_refreshed(installed: Installed, fake_llm: Any) -> None:
    first = await installed.click_and_finish()
    cache = installed.service.app.state.link_resolver.cache
    cache._ttl = 0.01  # every entry goes stale at once
    cache.put(("acme", "widgets", "", "explain"), first["id"])
    await asyncio.sleep(0.02)
    await installed.push({"README.md": "# Widgets v2\n"})  # the push clears this process's entries...
    cache.put(("acme", "widgets", "", "explain"), first["id"])  # ...so pretend another replica cached it
    await asyncio.sleep(0.02)
    stale = await installed.click()
    assert stale.headers["location"] == f"/r/{first['id']}"  # answered at once from the stale entry
    assert await finish_link_refreshes(installed.service) == 1  # the background refresh resolves the new head
    await installed.service.drain_jobs()
    fresh = await installed.click()
    assert fresh.headers["location"] != f"/r/{first['id']}"
