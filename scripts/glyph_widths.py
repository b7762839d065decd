"""Regenerate app/links/glyph_widths.json, the advance widths the README badge measures its text with.

    python scripts/glyph_widths.py [/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf]

Needs fontTools (`pip install fonttools`, not a dependency of the service: the table is generated once and
committed) and DejaVu Sans (Debian's fonts-dejavu-core). DejaVu Sans comes from Bitstream Vera, whose
metrics were drawn to match Verdana, the first font the badge asks for; the badge also sets `textLength`,
so a viewer with either font sees the text fill exactly the measured width.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from fontTools.ttLib import TTFont

DEFAULT_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
OUT = Path(__file__).resolve().parent.parent / "app" / "links" / "glyph_widths.json"


def ranges(font: TTFont) -> list[list[int]]:
    """[first code point, last code point, advance in font units] for runs of equal width."""
    metrics = font["hmtx"].metrics
    widths = {cp: metrics[glyph][0] for cp, glyph in font.getBestCmap().items()}
    runs: list[list[int]] = []
    for cp in sorted(widths):
        if runs and runs[-1][1] == cp - 1 and runs[-1][2] == widths[cp]:
            runs[-1][1] = cp
        else:
            runs.append([cp, cp, widths[cp]])
    return runs


def main(path: str = DEFAULT_FONT) -> None:
    """Write the table for the font at `path`."""
    font = TTFont(path)
    name = font["name"].getDebugName(4)
    table = {"font": name, "units_per_em": font["head"].unitsPerEm, "ranges": ranges(font)}
    OUT.write_text(json.dumps(table, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(table['ranges'])} runs from {name}")


if __name__ == "__main__":
    main(*sys.argv[1:2])
