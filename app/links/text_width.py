"""How wide a line of badge text is, from bundled glyph metrics (no font files, no outside calls).

The table (glyph_widths.json, made by scripts/glyph_widths.py) has DejaVu Sans's advance width of every
character it covers. Characters it lacks are drawn by whatever fallback font the viewer has, so they are
estimated from Unicode's own data: East Asian wide characters (CJK, kana, Hangul) take one em, emoji a
little more, combining marks and joiners none, and anything else the table's average width.
"""

from __future__ import annotations

import json
import unicodedata
from functools import cache
from importlib import resources

# CJK fonts draw their ideographs one em wide; colour emoji fonts draw theirs wider (Noto and Apple: ~1.2 em).
WIDE_EM = 1.0
EMOJI_EM = 1.25
_ZERO_WIDTH_CATEGORIES = frozenset({"Mn", "Me", "Cf"})  # combining marks, ZWJ, variation selectors, bidi marks
_ZWJ = "\u200d"
_EMOJI_MODIFIERS = range(0x1F3FB, 0x1F400)  # skin tones: drawn inside the emoji before them
_REGIONAL_INDICATORS = range(0x1F1E6, 0x1F200)  # two of them draw one flag


@cache
def _table() -> tuple[dict[int, float], float]:
    """Advance widths in em by code point, and their mean (the estimate for unknown narrow characters)."""
    raw = json.loads(resources.files("app.links").joinpath("glyph_widths.json").read_text(encoding="utf-8"))
    per_em = float(raw["units_per_em"])
    widths = {cp: units / per_em for first, last, units in raw["ranges"] for cp in range(first, last + 1)}
    printable = [width for width in widths.values() if width > 0]
    return widths, sum(printable) / len(printable)


def char_width(char: str, widths: dict[int, float], fallback: float) -> float:
    """The advance of one character in em, on its own (see text_width for sequences)."""
    if unicodedata.category(char) in _ZERO_WIDTH_CATEGORIES:
        return 0.0
    known = widths.get(ord(char))
    if unicodedata.east_asian_width(char) in ("W", "F"):
        # Even where DejaVu has such a glyph, browsers prefer a colour emoji or CJK font for it.
        wide = EMOJI_EM if unicodedata.category(char) == "So" else WIDE_EM
        return max(known or 0.0, wide)
    return known if known is not None else fallback


def text_width(text: str, font_size: float = 11.0) -> float:
    """The width in pixels of `text` drawn at `font_size` px, emoji sequences counted as the one glyph they draw."""
    widths, fallback = _table()
    total = 0.0
    previous = ""
    flag_open = False
    for char in text:
        point = ord(char)
        if previous == _ZWJ or (point in _EMOJI_MODIFIERS and previous):
            width = 0.0  # part of the emoji before it
        elif point in _REGIONAL_INDICATORS:
            width = 0.0 if flag_open else EMOJI_EM
            flag_open = not flag_open
        else:
            width = char_width(char, widths, fallback)
        if point not in _REGIONAL_INDICATORS:
            flag_open = False
        total += width
        previous = char
    return total * font_size
