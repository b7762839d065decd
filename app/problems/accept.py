"""Content negotiation for error responses: HTML only when the client prefers text/html over JSON.

Browsers put `text/html` first in their Accept header; `*/*` alone, no Accept header, and
`application/json` all get JSON. A tie goes to JSON, so a client that accepts both equally (or anything)
gets the machine-readable answer.
"""

from __future__ import annotations

# Most specific first (RFC 9110 §12.5.1): the first tier the header mentions decides.
_HTML = (("text/html",), ("text/*",), ("*/*",))
_JSON = (("application/problem+json", "application/json"), ("application/*",), ("*/*",))
_MAX_ITEMS = 64  # a hostile header cannot make an error response slow


def prefers_html(accept: str | None) -> bool:
    """True when `text/html` has a higher quality than JSON in this Accept header."""
    if not accept:
        return False
    qualities = _qualities(accept)
    return _quality(qualities, _HTML) > _quality(qualities, _JSON)


def _qualities(accept: str) -> dict[str, float]:
    """Media range → q (the first mention of a range counts, as with any list of preferences)."""
    found: dict[str, float] = {}
    for item in accept.split(",", _MAX_ITEMS)[:_MAX_ITEMS]:
        media_range, *params = item.split(";")
        media_range = media_range.strip().lower()
        if media_range and media_range not in found:
            found[media_range] = _q(params)
    return found


def _q(params: list[str]) -> float:
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value.strip())
            except ValueError:
                return 0.0
            return min(max(q, 0.0), 1.0) if q == q else 0.0  # NaN counts as "not acceptable"
    return 1.0


def _quality(qualities: dict[str, float], tiers: tuple[tuple[str, ...], ...]) -> float:
    """The q of the most specific ranges that match (the best of them), else 0."""
    for tier in tiers:
        matched = [qualities[media_range] for media_range in tier if media_range in qualities]
        if matched:
            return max(matched)
    return 0.0
