"""Badges drawn by a real browser (Debian's Chromium via Playwright): every text inside its part, measured right."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, async_playwright

from app.links.badge import BadgeColor, badge_svg
from app.links.text_width import text_width

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Text the bundled metrics cover glyph for glyph (DejaVu Sans is the font this machine draws them in).
COVERED = ["explain", "WWWWWW", "iiiiii", "mmmm-llll", "Ünïcödé ß", "Здравствуйте", "Ελληνικά", "a_b-c.1"]
# Text drawn by fallback fonts: the metrics estimate it, textLength makes the drawing fit whatever the font.
FALLBACK = ["中文中文中文", "日本語のテキスト", "😀😀😀", "👍🏽👨\u200d👩\u200d👧🇫🇷", "नमस्ते", "한국어"]
# For each drawn text: its box, the box of its part, and how wide the font draws it with no textLength.
MEASURE = """() => {
  const painted = [...document.querySelectorAll('g[clip-path] rect')].slice(0, 2);
  const texts = [...document.querySelectorAll('text:not([aria-hidden])')];
  return texts.map((text, i) => {
    const free = text.cloneNode(true);
    free.removeAttribute('textLength');
    free.removeAttribute('lengthAdjust');
    text.parentNode.appendChild(free);
    const natural = free.getComputedTextLength();
    free.remove();
    const box = text.getBBox(), part = painted[i].getBBox();
    return {text: text.textContent, x: box.x, width: box.width, partX: part.x, partWidth: part.width, natural};
  });
}"""


@pytest.fixture(scope="module")
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        await browser.close()


async def _draw(chromium: Browser, message: str, shot: Path) -> list[dict[str, Any]]:
    page = await chromium.new_page()
    await page.set_content(f"<!doctype html><body style='margin:8px'>{badge_svg('contextjson', message)}</body>")
    drawn: list[dict[str, Any]] = await page.evaluate(MEASURE)
    await page.locator("svg").screenshot(path=str(shot))
    await page.close()
    return drawn


@pytest.mark.parametrize("message", COVERED + FALLBACK)
async def test_each_text_stays_inside_its_part(chromium: Browser, message: str, tmp_path: Path) -> None:
    drawn = await _draw(chromium, message, tmp_path / "badge.png")
    assert [d["text"] for d in drawn] == ["contextjson", message]
    for part in drawn:
        # No overflow, and no large gap: the text spans its part less the padding on each side.
        assert part["x"] >= part["partX"] + 5, part
        assert part["x"] + part["width"] <= part["partX"] + part["partWidth"] - 5, part
        assert part["width"] >= part["partWidth"] - 2 * 6 - 1.5, part


@pytest.mark.parametrize("message", COVERED)
async def test_the_metrics_match_what_the_browser_draws(chromium: Browser, message: str, tmp_path: Path) -> None:
    """Without textLength's help, the font's own width is within 2% (and a pixel) of the bundled measure."""
    for part in await _draw(chromium, message, tmp_path / "badge.png"):
        ours = text_width(part["text"])
        assert abs(part["natural"] - ours) <= max(1.0, 0.02 * ours), (part, ours)


async def test_a_grey_badge_is_drawn_grey(chromium: Browser, tmp_path: Path) -> None:
    page = await chromium.new_page()
    await page.set_content(f"<!doctype html><body>{badge_svg('contextjson', 'unavailable', BadgeColor.UNKNOWN)}</body>")
    fill = await page.evaluate("() => getComputedStyle(document.querySelectorAll('g[clip-path] rect')[1]).fill")
    assert fill == "rgb(159, 159, 159)"
    await page.screenshot(path=str(tmp_path / "grey.png"))
    await page.close()
