"""The owner's pages in Chromium: log in through the fake GitHub, read the overview and the repository page (charts
and tables show the ledger's figures), change the monthly cap, pause a context, copy a README badge.
Screenshots of each page go to the test's tmp_path."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page

from tests.browser.server import serve_installed
from tests.support.process import free_port

CONTEXT = {
    "context": {
        "explain": {"summary": "Explain this repo", "pathPatterns": ["README.md", "src/**"]},
        "docs": {"summary": "Summarise the docs", "pathPatterns": ["README.md"]},
    }
}


@pytest.fixture
def server(fake_github: Any, fake_llm: Any, tmp_path: Path) -> Iterator[str]:
    files = {"README.md": "# Widgets\n", "src/w.py": "def w():\n    return 1\n", "context.json": json.dumps(CONTEXT)}
    port = free_port()  # PUBLIC_URL names it: the login's callback comes back to it
    env = {
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "GITHUB_CLIENT_ID": fake_github.oauth.client_id,
        "GITHUB_CLIENT_SECRET": fake_github.oauth.client_secret,
        "USAGE_FLUSH_SECONDS": "0.2",
    }
    with serve_installed(fake_github, fake_llm, tmp_path, files, env, port=port) as base:
        yield base


async def _answer(client: httpx.AsyncClient, path: str, **headers: str) -> dict[str, Any]:
    """Click a visitor link and wait until its answer is finished."""
    location = (await client.get(path, headers=headers)).headers["location"].split("?")[0]
    deadline = time.monotonic() + 20
    while (result := (await client.get(f"{location}.json")).json())["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline, "the answer did not finish"
        await asyncio.sleep(0.05)
    return result


async def _visitors(server: str, fake_llm: Any) -> None:
    """explain: a generation and a cache hit from GitHub; docs: a failure (nothing charged)."""
    async with httpx.AsyncClient(base_url=server) as client:
        assert (await _answer(client, "/acme/widgets/context/explain"))["status"] == "done"
        await client.get("/acme/widgets/context/explain", headers={"referer": "https://github.com/acme/widgets"})
        fake_llm.fail_next(status=500, times=10)
        assert (await _answer(client, "/acme/widgets/context/docs"))["status"] == "failed"
        fake_llm.reset()


async def _json(context: BrowserContext, url: str) -> Any:
    """An /api answer with the browser's own session cookie."""
    resp = await context.request.get(url)
    assert resp.ok, await resp.text()
    return await resp.json()


async def _until_counted(context: BrowserContext, server: str, clicks: int) -> None:
    deadline = time.monotonic() + 10
    while sum(day["clicks"] for day in (await _json(context, f"{server}/api/usage"))["days"]) < clicks:
        assert time.monotonic() < deadline, "the clicks were not counted"
        await asyncio.sleep(0.1)


async def _logged_in_page(browser: Browser, server: str, fake_github: Any, problems: list[str]) -> Page:
    context = await browser.new_context(viewport={"width": 1100, "height": 900})
    await context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    page = await context.new_page()
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    # The refused cap answers 400 (logged as a failed load): only what the page's policy refuses is a problem.
    page.on("console", lambda msg: problems.append(msg.text) if "Content Security Policy" in msg.text else None)
    fake_github.oauth.sign_in_as("acme")  # the account the App is installed on
    await page.goto(f"{server}/dashboard")  # → /login → GitHub's authorize → the callback → back here
    assert page.url == f"{server}/dashboard"
    assert await page.locator("header.bar strong").text_content() == "acme"
    return page


async def test_an_owner_reads_true_figures_caps_pauses_and_copies(
    server: str, browser: Browser, fake_github: Any, fake_llm: Any, tmp_path: Path
) -> None:
    await _visitors(server, fake_llm)
    problems: list[str] = []
    page = await _logged_in_page(browser, server, fake_github, problems)
    await _until_counted(page.context, server, 3)
    ledger = await _json(page.context, f"{server}/api/account/ledger")
    spent = -sum((Decimal(item["amount_usd"]) for item in ledger if item["kind"] == "debit"), Decimal(0))
    assert spent > 0
    today = datetime.now(UTC).date().isoformat()

    # The overview: money, both charts and the repository's month, as the ledger has them.
    await page.reload()
    assert Decimal(await page.locator("td.spent").get_attribute("data-usd") or "") == spent
    assert await page.locator("svg.chart").count() == 2
    bar = page.locator(f'figure.spend rect[data-day="{today}"]')
    assert Decimal(await bar.get_attribute("data-value") or "") == spent
    assert await page.locator("figure.spend rect").count() == 30
    clicks = page.locator(f'figure.traffic circle[data-series="clicks"][data-day="{today}"]')
    assert await clicks.get_attribute("data-value") == "3"
    row = page.locator('tr[data-repo="acme/widgets"]')
    assert [
        await row.locator(f"td[data-{name}]").text_content() for name in ("clicks", "cache-hits", "generations")
    ] == ["3", "1", "1"]
    assert Decimal(await row.locator("td[data-usd]").get_attribute("data-usd") or "") == spent
    await page.screenshot(path=str(tmp_path / "overview.png"), full_page=True)

    # The repository's page, from its link.
    await row.locator("a").click()
    assert page.url == f"{server}/dashboard/repos/acme/widgets"
    explain = page.locator('tr[data-context="explain"]')
    assert await explain.get_attribute("data-status") == "valid"
    assert await explain.locator("td[data-clicks]").text_content() == "2"
    assert Decimal(await explain.locator("td[data-usd]").get_attribute("data-usd") or "") == spent
    assert await page.locator('tr[data-context="docs"] td[data-failures]').text_content() == "1"
    assert await page.locator("table.recent tbody tr").count() == 2
    assert await page.locator("table.referrers").inner_text() == "Site\tClicks\ngithub.com\t1"
    title = await page.locator("figure.traffic svg.chart title").first.text_content()
    assert title and title.endswith("acme/widgets, last 30 days: 3 clicks, 1 cache hits, 1 generations")
    await page.screenshot(path=str(tmp_path / "repo.png"), full_page=True)

    # Copy the Markdown badge: the clipboard holds the snippet, as shown.
    snippet = await page.locator("#badge-md-explain").text_content()
    link = f"{server}/acme/widgets/context/explain"
    assert snippet == f"[![Explain this repo]({link}/badge.svg)]({link})"
    copy = page.locator('button[data-copy="badge-md-explain"]')
    await copy.click()
    await page.locator('button[data-copy="badge-md-explain"][data-copied="true"]').wait_for()
    assert await page.evaluate("navigator.clipboard.readText()") == snippet

    # A negative cap is refused with a red error block; a good one is saved and shown.
    await page.fill('input[name="monthly_cap_usd"]', "-5")
    await page.click("form.cap button")
    assert await page.locator("#error").is_visible() and "cannot be negative" in (
        await page.locator("#error").text_content() or ""
    )
    await page.screenshot(path=str(tmp_path / "repo-cap-refused.png"), full_page=True)
    await page.fill('input[name="monthly_cap_usd"]', "2.50")
    await page.click("form.cap button")
    assert page.url.endswith("?saved=cap") and await page.locator("#cap").text_content() == "$2.50"
    [repo] = await _json(page.context, f"{server}/api/repos")
    assert repo["monthly_cap_usd"] == "2.500000"

    # Pause "docs" (it has no good answer): its visitor link says so at once, and nothing new is made.
    calls = len(fake_llm.calls)
    await page.locator('tr[data-context="docs"] button[name="toggle"]').click()
    assert await page.locator('tr[data-context="docs"]').get_attribute("data-paused") == "true"
    assert "Paused “docs”" in (await page.locator("#notice").text_content() or "")
    async with httpx.AsyncClient(base_url=server) as visitor:
        refused = await visitor.get("/acme/widgets/context/docs", headers={"accept": "text/html"})
    assert refused.status_code == 403 and "paused new answers" in refused.text
    assert len(fake_llm.calls) == calls
    await page.screenshot(path=str(tmp_path / "repo-paused.png"), full_page=True)
    assert problems == []  # nothing the pages need was refused by their Content-Security-Policy
