"""The result and home pages on a phone (390x844) in Chromium: nothing wider than the screen, no CSP
violations, the question and its files shown; screenshots in the test's tmp_path."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page

from tests.browser.server import serve_installed

PHONE = {"width": 390, "height": 844}
LONG_NAME = "a_module_with_a_really_long_name_that_goes_on_and_on_without_any_break_at_all"
LONG_LINE = "result = compute(" + ", ".join(f"argument_number_{i}" for i in range(30)) + ")"
ANSWER = (
    "# How the widgets fit together\n\n"
    f"Start in `src/{LONG_NAME}/{LONG_NAME}.py`, then call:\n\n"
    f"```python\n{LONG_LINE}\nunbroken = '{'x' * 300}'\n```\n\n"
    "| " + " | ".join(f"column {i}" for i in range(14)) + " |\n"
    "|" + "---|" * 14 + "\n"
    "| " + " | ".join(f"value {i}" for i in range(14)) + " |\n"
)
CONTEXT = {
    "context": {
        "explain": {
            "summary": "Explain how the widgets of this repository fit together",
            "prompt": "Explain what {{owner}}/{{repo}} does, starting from " + "very-" * 40 + "long words.",
            "pathPatterns": ["README.md", "src/**"],
        }
    }
}


@pytest.fixture
def server(fake_github: Any, fake_llm: Any, tmp_path: Path) -> Iterator[str]:
    files = {
        "README.md": "# Widgets\n",
        f"src/{LONG_NAME}/{LONG_NAME}.py": "def widget():\n    return 42\n",
        "context.json": json.dumps(CONTEXT),
    }
    fake_llm.script(ANSWER)
    with serve_installed(fake_github, fake_llm, tmp_path, files, {"GITHUB_APP_SLUG": fake_github.app_slug}) as base:
        yield base


async def _finished_result(server: str) -> str:
    """Click the visitor link and wait until the answer is done; the result page's path."""
    async with httpx.AsyncClient(base_url=server) as client:
        location: str = (await client.get("/acme/widgets/context/explain")).headers["location"]
        deadline = time.monotonic() + 20
        while (await client.get(f"{location}.json")).json()["status"] != "done":
            assert time.monotonic() < deadline, "the answer did not finish"
            await asyncio.sleep(0.05)
    return location


async def _phone_page(browser: Browser, problems: list[str]) -> Page:
    context = await browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = await context.new_page()
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda msg: problems.append(msg.text) if msg.type in ("error", "warning") else None)
    return page


async def _assert_fits(page: Page) -> None:
    """No horizontal scrolling: the document is no wider than the viewport."""
    width, inner = await page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    assert inner == PHONE["width"] and width <= inner, (width, inner)


async def test_result_page_fits_a_phone(server: str, browser: Browser, fake_github: Any, tmp_path: Path) -> None:
    location = await _finished_result(server)
    problems: list[str] = []
    page = await _phone_page(browser, problems)
    await page.goto(f"{server}{location}")
    await page.locator("#answer h1").wait_for()
    assert await page.locator("h1").first.text_content() == CONTEXT["context"]["explain"]["summary"]
    await _assert_fits(page)
    await page.screenshot(path=str(tmp_path / "result-phone.png"), full_page=True)

    files = page.locator("details.files")
    assert not await files.evaluate("d => d.open")  # folded until asked for
    await files.locator("summary").click()
    link = files.get_by_role("link", name=f"src/{LONG_NAME}/{LONG_NAME}.py")
    await link.wait_for()
    commit = (await page.locator("p.where a code").text_content()) or ""
    href = await link.get_attribute("href") or ""
    assert href.startswith(f"{fake_github.url}/acme/widgets/blob/{commit}") and href.endswith(f"{LONG_NAME}.py")
    await _assert_fits(page)
    await page.screenshot(path=str(tmp_path / "result-phone-files.png"), full_page=True)

    await page.get_by_role("link", name="Add a badge like this to your repo").click()
    await page.wait_for_url(f"{server}/#badge")
    await _assert_fits(page)
    assert problems == []  # no Content-Security-Policy violation (or any other error) in the console


async def test_home_page_badge_snippet_fits_a_phone(
    server: str, browser: Browser, fake_github: Any, tmp_path: Path
) -> None:
    problems: list[str] = []
    page = await _phone_page(browser, problems)
    await page.goto(f"{server}/")
    snippet = page.locator("pre.snippet")
    assert "/OWNER/REPO/context/explain/badge.svg" in (await snippet.text_content() or "")
    # The snippet wraps inside its box: it neither scrolls sideways nor reaches past the screen.
    inner, box = await snippet.evaluate("e => [e.scrollWidth <= e.clientWidth, e.getBoundingClientRect().right]")
    assert inner and box <= PHONE["width"], box
    await _assert_fits(page)
    install = page.get_by_role("link", name="Install the GitHub App")
    assert await install.get_attribute("href") == f"{fake_github.url}/apps/{fake_github.app_slug}/installations/new"
    await page.screenshot(path=str(tmp_path / "home-phone.png"), full_page=True)
    assert problems == []
