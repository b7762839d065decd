"""The README badge: a small flat SVG like shields.io's (what it says is decided by app.links.badges)."""

from __future__ import annotations

import re
from enum import StrEnum
from html import escape

from app.links.text_width import text_width

FONT_SIZE = 11
PADDING = 6  # pixels on each side of each text
HEIGHT = 20
# XML 1.0 forbids most control characters and lone surrogates; a badge must render whatever it is given.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class BadgeColor(StrEnum):
    READY = "#0969da"  # a context that answers
    UNKNOWN = "#9f9f9f"  # nothing to show: unknown repository or context (shields.io's "inactive")
    INVALID = "#e05d44"  # context.json has errors for this context
    LABEL = "#555"


def _clean(text: str) -> str:
    return " ".join(_NOT_XML.sub("\ufffd", text).split())


def _text(x: float, width: float, text: str) -> str:
    """A text centred at x, held to exactly the measured width whatever font the viewer has (textLength)."""
    common = f'x="{x:.1f}" textLength="{width:.1f}" lengthAdjust="spacingAndGlyphs"'
    return (
        f'<text aria-hidden="true" {common} y="15" fill="#010101" fill-opacity=".3">{text}</text>'
        f'<text {common} y="14">{text}</text>'
    )


def badge_svg(label: str, message: str, color: BadgeColor = BadgeColor.READY) -> str:
    """A flat two-part badge: `label` on grey, `message` on `color`, each part as wide as its text."""
    label, message = _clean(label), _clean(message)
    label_w, message_w = text_width(label, FONT_SIZE), text_width(message, FONT_SIZE)
    left, right = round(label_w) + 2 * PADDING, round(message_w) + 2 * PADDING
    total = left + right
    label_e, message_e = escape(label), escape(message)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="{HEIGHT}" role="img" '
        f'aria-label="{label_e}: {message_e}"><title>{label_e}: {message_e}</title>'
        '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/>'
        '<stop offset="1" stop-opacity=".1"/></linearGradient>'
        f'<clipPath id="r"><rect width="{total}" height="{HEIGHT}" rx="3" fill="#fff"/></clipPath>'
        f'<g clip-path="url(#r)"><rect width="{left}" height="{HEIGHT}" fill="{BadgeColor.LABEL}"/>'
        f'<rect x="{left}" width="{right}" height="{HEIGHT}" fill="{color}"/>'
        f'<rect width="{total}" height="{HEIGHT}" fill="url(#s)"/></g>'
        '<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" '
        f'text-rendering="geometricPrecision" font-size="{FONT_SIZE}">'
        f"{_text(left / 2, label_w, label_e)}{_text(left + right / 2, message_w, message_e)}</g></svg>"
    )
