"""Badge text is measured per glyph: wide, narrow and non-ASCII text gets a part exactly as wide as it needs."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from app.links.badge import PADDING, BadgeColor, badge_svg
from app.links.text_width import EMOJI_EM, WIDE_EM, text_width

SVG = "{http://www.w3.org/2000/svg}"
SAMPLES = ["explain", "WWWWWW", "iiiiii", "中文中文中文", "😀😀😀", "Ünïcödé ß", "Здравствуйте", "한국어", "ｆｕｌｌ"]


def _parts(svg: str) -> list[tuple[float, float, float, str]]:
    """(rect x, rect width, text textLength, text) of the label and message parts."""
    root = ET.fromstring(svg)
    painted = next(g for g in root.iter(f"{SVG}g") if g.get("clip-path"))
    rects = list(painted.iter(f"{SVG}rect"))[:2]  # label, message (the third is the gloss over both)
    texts = [t for t in root.iter(f"{SVG}text") if t.get("aria-hidden") is None]
    assert len(rects) == len(texts) == 2
    return [
        (float(r.get("x", 0)), float(r.get("width", 0)), float(t.get("textLength", 0)), t.text or "")
        for r, t in zip(rects, texts, strict=True)
    ]


def test_wide_letters_measure_wider_than_narrow_ones() -> None:
    assert text_width("WWWWWW") > 3 * text_width("iiiiii")
    assert text_width("mmmm") > text_width("llll")
    # Within a pixel of DejaVu Sans's own advances (W: 2025/2048 em, i: 569/2048 em at 11 px).
    assert text_width("WWWWWW") == pytest.approx(6 * 11 * 2025 / 2048, abs=0.01)
    assert text_width("iiiiii") == pytest.approx(6 * 11 * 569 / 2048, abs=0.01)


def test_cjk_and_emoji_measure_wider_than_ascii_of_the_same_length() -> None:
    assert text_width("中文中文") == pytest.approx(4 * 11 * WIDE_EM)
    assert text_width("中文中文") > text_width("abcd") and text_width("한국어") > text_width("abc")
    assert text_width("ｆｕｌｌ") > text_width("full")  # fullwidth forms
    assert text_width("😀😀") == pytest.approx(2 * 11 * EMOJI_EM)


def test_emoji_sequences_count_as_the_one_glyph_they_draw() -> None:
    one = text_width("👍")
    assert text_width("👍🏽") == pytest.approx(one)  # skin tone modifier
    assert text_width("👨\u200d👩\u200d👧") == pytest.approx(text_width("👨"))  # zero-width-joined family
    assert text_width("🇫🇷") == pytest.approx(11 * EMOJI_EM)  # two regional indicators, one flag
    assert text_width("e\u0301") == pytest.approx(text_width("e"))  # combining accent
    assert text_width("❤\ufe0f") == pytest.approx(text_width("❤"))  # variation selector


@pytest.mark.parametrize("text", SAMPLES)
def test_width_grows_with_every_character(text: str) -> None:
    widths = [text_width(text[:n]) for n in range(len(text) + 1)]
    assert widths[0] == 0
    assert all(a < b for a, b in zip(widths, widths[1:], strict=False)), widths


@pytest.mark.parametrize("text", SAMPLES)
def test_each_part_is_its_text_plus_padding(text: str) -> None:
    (lx, lw, ltext, label), (mx, mw, mtext, message) = _parts(badge_svg("contextjson", text))
    assert (label, message) == ("contextjson", text)
    assert ltext == pytest.approx(text_width("contextjson"), abs=0.05)
    assert mtext == pytest.approx(text_width(text), abs=0.05)
    # No overflow and no large gap: the part is the text's width and 2 × padding (rounded to a pixel).
    assert lx == 0 and abs(lw - ltext - 2 * PADDING) <= 0.5
    assert mx == lw and abs(mw - mtext - 2 * PADDING) <= 0.5
    root = ET.fromstring(badge_svg("contextjson", text))
    assert float(root.get("width", 0)) == lw + mw


def test_the_old_average_width_guess_would_overflow_or_gap() -> None:
    """The width this replaces (6.6 px a character) is 25 px short for "WWWWWW" and 20 px long for "iiiiii"."""
    assert text_width("WWWWWW") - 6 * 6.6 > 25
    assert 6 * 6.6 - text_width("iiiiii") > 20


def test_markup_and_control_characters_cannot_break_the_svg() -> None:
    svg = badge_svg('<b>"x"</b> & y', "a\x00b\x1b[31m\ud800", BadgeColor.UNKNOWN)
    root = ET.fromstring(svg)  # well-formed XML
    texts = [t.text for t in root.iter(f"{SVG}text") if t.get("aria-hidden") is None]
    assert texts == ['<b>"x"</b> & y', "a\ufffdb\ufffd[31m\ufffd"]
    assert root.get("aria-label") == '<b>"x"</b> & y: a\ufffdb\ufffd[31m\ufffd'
    assert BadgeColor.UNKNOWN.value in svg
