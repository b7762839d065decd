"""Finding the viewer of a request, and refusing anonymous requests: the one place guards and handlers ask."""

from __future__ import annotations

from app.api_keys.authenticator import api_key_viewer
from app.auth.errors import LoginRequired
from app.auth.next_path import login_link
from app.auth.session_auth import session_viewer
from app.auth.viewer import Authenticator, Connection, Viewer, check_csrf, current_viewer
from app.errors import RedirectInstead

# Tried in order. API keys go first: a request with `Authorization: Bearer` is judged by its key alone.
AUTHENTICATORS: list[Authenticator] = [api_key_viewer, session_viewer]

API_PREFIX = "/api/"


async def optional_viewer(connection: Connection) -> Viewer | None:
    """The viewer of this request, or None for an anonymous one (CSRF checked for session viewers)."""
    viewer = await current_viewer(connection, AUTHENTICATORS)
    if viewer is not None:
        await check_csrf(connection, viewer)
    return viewer


async def require_viewer(connection: Connection) -> Viewer:
    """The viewer of this request; anonymous requests are refused (pages: to /login; /api: 401)."""
    viewer = await optional_viewer(connection)
    if viewer is None:
        raise login_required(connection)
    return viewer


def login_required(connection: Connection) -> Exception:
    """401 for the JSON API; for pages, a 303 to /login?next=<this page>."""
    path = connection.scope.get("path", "")
    if path.startswith(API_PREFIX) or path == API_PREFIX.rstrip("/"):
        return LoginRequired(
            "Log in with GitHub first (/login), or send an API key as `Authorization: Bearer <key>`: the API "
            "answers requests that carry the dashboard's session or a key of the account.",
            headers={"WWW-Authenticate": 'Bearer realm="contextjson"'},
        )
    return RedirectInstead(login_url(connection))


def login_url(connection: Connection) -> str:
    """/login?next=<this page> (after a form post, the dashboard: a login cannot resend the form)."""
    if connection.scope.get("method") not in ("GET", "HEAD"):
        return "/login"
    raw_path = connection.scope.get("raw_path") or connection.scope.get("path", "/").encode()
    query = connection.scope.get("query_string") or b""
    here = raw_path.decode("latin-1") + (f"?{query.decode('latin-1')}" if query else "")
    return login_link(here)
