"""The result page in a real browser (Debian's Chromium via Playwright): it streams, renders safely, copies."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser

from tests.browser.server import serve_installed

ANSWER = (
    "# Widgets explained\n\nThis library makes **widgets**. "
    "It never runs <script>window.pwned = 1</script> code from answers.\n\n- one\n- two\n"
)


@pytest.fixture
def server(fake_github: Any, fake_llm: Any, tmp_path: Path) -> Iterator[str]:
    files = {
        "README.md": "# Widgets\n",
        "context.json": json.dumps({"context": {"explain": {"summary": "Explain", "pathPatterns": ["README.md"]}}}),
    }
    with serve_installed(fake_github, fake_llm, tmp_path, files) as base:
        yield base


async def test_answer_streams_in_and_renders_safely(
    server: str, browser: Browser, fake_llm: Any, tmp_path: Path
) -> None:
    fake_llm.script(ANSWER)
    fake_llm.token_delay = 0.06  # ~1.5 s of streaming
    context = await browser.new_context()
    await context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # The page works under its own Content-Security-Policy: nothing it needs is refused.
    page.on("console", lambda msg: errors.append(msg.text) if "Content Security Policy" in msg.text else None)
    await page.goto(f"{server}/acme/widgets/context/explain")
    assert "/r/" in page.url

    live = page.locator("#live")
    await live.wait_for(state="attached")
    # Polled over the protocol: wait_for_function evaluates a string in the page, which its
    # Content-Security-Policy (rightly) forbids.
    deadline = time.monotonic() + 15
    while len(partial := await live.text_content() or "") <= 5:
        assert time.monotonic() < deadline, "nothing streamed in"
        await asyncio.sleep(0.02)
    assert partial and len(partial) < len(ANSWER)  # still streaming: part of the answer is shown

    await page.locator("#answer h1").wait_for(timeout=15_000)  # the final, rendered answer
    assert await page.locator("#answer h1").text_content() == "Widgets explained"
    assert await page.locator("#answer strong").text_content() == "widgets"
    assert await page.evaluate("window.pwned") is None  # the model's <script> never ran
    assert "<script>" in (await page.locator("#answer").text_content() or "")  # shown as text instead
    assert "paid by acme" in (await page.locator("header.meta").text_content() or "")  # updated when done

    await page.get_by_role("button", name="Copy as Markdown").click()
    await page.get_by_role("button", name="Copied").wait_for()
    assert await page.evaluate("navigator.clipboard.readText()") == ANSWER
    await page.screenshot(path=str(tmp_path / "result.png"), full_page=True)
    assert errors == []


async def test_page_without_javascript_shows_the_answer(server: str, browser: Browser, fake_llm: Any) -> None:
    fake_llm.script(ANSWER)
    async with httpx.AsyncClient(base_url=server) as client:
        location = (await client.get("/acme/widgets/context/explain")).headers["location"]
        deadline = time.monotonic() + 15
        while (await client.get(f"{location}.json")).json()["status"] != "done":
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
    context = await browser.new_context(java_script_enabled=False)
    page = await context.new_page()
    await page.goto(f"{server}{location}")
    assert await page.locator("#answer h1").text_content() == "Widgets explained"
    assert "paid by acme" in (await page.locator("header.meta").text_content() or "")
