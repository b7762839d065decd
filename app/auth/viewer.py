"""Who is asking: the Viewer of a request, from its session cookie (and, with the API issue, a bearer key).

`current_viewer` finds it once per request (guards and the `viewer` dependency share the answer).
Authenticators are tried in order; an API key authenticator plugs in by returning a Viewer with
`via="api_key"` (a key is not an ambient credential, so it needs no CSRF token).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from litestar.connection import ASGIConnection

from app.auth import crypto
from app.auth.errors import CsrfFailed

_VIEWER_KEY = "contextjson.viewer"
_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


@dataclass(frozen=True, slots=True)
class Viewer:
    """A signed-in person (or API key) and the accounts they may act for (our Account ids)."""

    login: str
    github_user_id: int
    account_ids: frozenset[int]
    is_operator: bool
    via: Literal["session", "api_key"] = "session"
    # Forms and API calls made with the session cookie send this back (session viewers only).
    csrf_token: str | None = None
    api_key_id: int | None = None  # the key a request authenticated with (its cap and usage)
    # The session's stored id hash (session viewers only): where the user's GitHub token is kept, and what
    # private repositories' access checks are remembered by (app.private_repos).
    session_id_hash: str | None = None

    def may_reach(self, account_id: int | None) -> bool:
        """Whether this viewer may read and change the account's data."""
        return account_id is not None and account_id in self.account_ids


Connection = ASGIConnection[Any, Any, Any, Any]
Authenticator = Callable[[Connection], Awaitable[Viewer | None]]


def csrf_token_for(secret_key: str, id_hash: str) -> str:
    """The CSRF token of one session (derived, so nothing more is stored)."""
    return crypto.mac(secret_key, "csrf", id_hash)


def operator_logins(raw: str) -> frozenset[str]:
    """OPERATOR_LOGINS (comma-separated) as lower-case logins."""
    return frozenset(login.strip().lower() for login in raw.split(",") if login.strip())


async def current_viewer(connection: Connection, authenticators: list[Authenticator]) -> Viewer | None:
    """The request's viewer (None: anonymous), found once per request."""
    state = connection.scope.setdefault("state", {})  # type: ignore[typeddict-item]
    if _VIEWER_KEY not in state:
        viewer = None
        for authenticate in authenticators:
            viewer = await authenticate(connection)
            if viewer is not None:
                break
        state[_VIEWER_KEY] = viewer
    found: Viewer | None = state[_VIEWER_KEY]
    return found


async def check_csrf(connection: Connection, viewer: Viewer) -> None:
    """A state-changing request made with the session cookie must carry the session's CSRF token.

    Header `X-CSRF-Token` (scripts, API clients) or form field `csrf_token` (HTML forms).
    """
    if viewer.via != "session" or connection.scope.get("method") not in _UNSAFE_METHODS:
        return
    expected = viewer.csrf_token or ""
    sent = connection.headers.get(CSRF_HEADER) or await _form_token(connection)
    if not expected or not sent or not hmac.compare_digest(sent, expected):
        raise CsrfFailed(
            "The form was not sent with this session's CSRF token (it may be from an earlier login, or from "
            "another site). Reload the page and try again.",
            links=[("Reload the dashboard", "/dashboard")],
        )


async def _form_token(connection: Connection) -> str:
    content_type = connection.headers.get("content-type", "")
    if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return ""
    form = await connection.form()  # type: ignore[attr-defined]  # a Request: cached, the handler reads it again
    value = form.get(CSRF_FIELD)
    return value if isinstance(value, str) else ""
