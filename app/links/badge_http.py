"""Serving a badge over HTTP: cache headers GitHub's image proxy honours, and 304 for a badge unchanged.

GitHub shows README images through its proxy (camo), which keeps a copy as long as Cache-Control allows.
Like shields.io, a badge says `max-age` and `s-maxage` (five minutes when settled, one when it may change
soon), so the README catches up within minutes; an ETag lets any cache revalidate for a 304 instead.
Only a 200 is shown by the proxy, so every badge, even for nothing known, is a 200 with an SVG.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

from litestar import Request
from litestar.response import Response

from app.links.badge import badge_svg
from app.links.badges import Badge


@lru_cache(maxsize=4096)
def _rendered(badge: Badge) -> tuple[bytes, str]:
    """The SVG and its ETag (badges repeat: the same few texts are asked for again and again)."""
    svg = badge_svg(badge.label, badge.message, badge.color).encode()
    return svg, '"' + hashlib.sha256(svg).hexdigest()[:32] + '"'


def badge_response(request: Request, badge: Badge, *, private: bool = False) -> Response[bytes]:
    """200 with the SVG, or 304 when the client already holds this exact badge.

    `private`: a private repository's badge, shown to one signed-in visitor; no shared cache may keep it.
    """
    svg, etag = _rendered(badge)
    cache = "private, no-store" if private else f"public, max-age={badge.max_age}, s-maxage={badge.max_age}"
    headers = {"Cache-Control": cache, "ETag": etag}
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(b"", status_code=304, headers=headers)
    # An explicit 200: the tree route that also serves badges says 303 by default.
    return Response(svg, status_code=200, media_type="image/svg+xml", headers=headers)


def _matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 13.1.2: `*`, or any listed tag equal to ours under weak comparison."""
    if not if_none_match:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in tags or etag in tags
