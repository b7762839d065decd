"""Security headers: every HTML page's Content-Security-Policy (with a fresh script nonce) and friends.

Pages set them through `app.pages.html_response`, with the nonce their template used. `add_missing` is a
`before_send` hook that runs for every response the app sends (handlers, error pages, Litestar's own
answers): it adds `X-Content-Type-Options: nosniff` everywhere, and the page headers, with a nonce no
script has, to any HTML response that was built some other way, so no page goes out without them.
"""

from __future__ import annotations

import secrets
from typing import Any

# Answers are sanitised HTML (app.results.render) and may show images from anywhere over https; nothing
# else is loaded from elsewhere. Scripts are files under /_static ('self'); a page that needs a small
# inline script gives it the response's nonce. Inline event handlers never run ('unsafe-hashes' is absent).
_POLICY = (
    "default-src 'none'; script-src 'self' 'nonce-{nonce}'; style-src 'self'; img-src 'self' https: data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
NOSNIFF = ("x-content-type-options", "nosniff")
_NONCE_BYTES = 18  # 144 bits, base64url: 24 characters


def new_nonce() -> str:
    """A nonce for one response (never reused: a page's nonce must not be guessable from another's)."""
    return secrets.token_urlsafe(_NONCE_BYTES)


def content_security_policy(nonce: str) -> str:
    """The policy of every page, allowing inline scripts that carry `nonce`."""
    return _POLICY.format(nonce=nonce)


def page_headers(nonce: str) -> dict[str, str]:
    """The headers every HTML page carries."""
    return {
        "content-security-policy": content_security_policy(nonce),
        "x-content-type-options": "nosniff",
        "referrer-policy": "strict-origin-when-cross-origin",
        "x-frame-options": "DENY",  # frame-ancestors, for browsers that predate it
    }


_NOSNIFF_HEADER = (b"x-content-type-options", b"nosniff")


async def add_missing(message: Any, scope: Any) -> None:
    """before_send hook: nosniff on every response; page headers on any HTML response that lacks them."""
    if message["type"] != "http.response.start":
        return
    headers = message.get("headers") or ()
    sniffing, html, has_policy = True, False, False
    # One pass over a handful of headers: this runs for every response, cached visitor links included.
    for name, value in headers:
        lowered = bytes(name).lower()
        if lowered == b"x-content-type-options":
            sniffing = False
        elif lowered == b"content-security-policy":
            has_policy = True
        elif lowered == b"content-type":
            html = bytes(value).startswith(b"text/html")
    extra = [_NOSNIFF_HEADER] if sniffing else []
    if html and not has_policy:
        extra += [(k.encode(), v.encode()) for k, v in page_headers(new_nonce()).items() if k != NOSNIFF[0]]
    if extra:
        message["headers"] = [*headers, *extra]
