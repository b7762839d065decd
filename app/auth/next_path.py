"""Where to go after logging in: a path on this site only, never another site (no open redirect)."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

DEFAULT_NEXT = "/dashboard"
_MAX_LENGTH = 2048
# Going back to these would start the login again (or log out) instead of going anywhere.
_LOOPS = ("/login", "/logout")


def safe_next(value: str | None) -> str:
    """`value` when it is a local path (`/…`), else DEFAULT_NEXT.

    Browsers read `//host`, `/\\host` and `\\\\host` as another site, drop tabs and newlines from URLs
    (`/\\t/host` becomes `//host`), and some treat a backslash as a slash: a path with any of those,
    any other control or non-ASCII character, a scheme or a host is refused.
    """
    if not value or len(value) > _MAX_LENGTH or not value.startswith("/"):
        return DEFAULT_NEXT
    if any(not (0x21 <= ord(char) <= 0x7E) or char == "\\" for char in value):
        return DEFAULT_NEXT
    if value.startswith("//"):
        return DEFAULT_NEXT
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return DEFAULT_NEXT
    if any(parts.path == loop or parts.path.startswith(loop + "/") for loop in _LOOPS):
        return DEFAULT_NEXT
    return value


def login_link(next_path: str) -> str:
    """/login?next=<next_path>, the path percent-encoded as a query value."""
    return f"/login?next={quote(next_path, safe='/')}"
