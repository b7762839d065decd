"""The README badge: a small SVG (what it says is decided by app.links.controller)."""

from __future__ import annotations

from html import escape

_CHAR_WIDTH = 6.6  # average glyph width of 11px Verdana, good enough for badge sizing


def badge_svg(label: str, message: str) -> str:
    """A flat two-part badge like shields.io's."""
    left, right = int(len(label) * _CHAR_WIDTH) + 12, int(len(message) * _CHAR_WIDTH) + 12
    total = left + right
    label_e, message_e = escape(label), escape(message)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" '
        f'aria-label="{label_e}: {message_e}"><title>{label_e}: {message_e}</title>'
        f'<rect width="{left}" height="20" fill="#555"/><rect x="{left}" width="{right}" height="20" fill="#0969da"/>'
        '<g fill="#fff" text-anchor="middle" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">'
        f'<text x="{left / 2}" y="14">{label_e}</text><text x="{left + right / 2}" y="14">{message_e}</text></g></svg>'
    )
