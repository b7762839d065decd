"""The login's cookies: the session (an opaque signed id) and the short OAuth state cookie.

Both are HttpOnly and SameSite=Lax (sent when GitHub redirects the browser back, not with cross-site
POSTs), and Secure when PUBLIC_URL is https.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from litestar.datastructures import Cookie

from app.auth import crypto
from app.settings import Settings

SESSION_COOKIE = "cj_session"
STATE_COOKIE = "cj_login"
SESSION_LIFETIME = timedelta(days=30)
STATE_LIFETIME = timedelta(minutes=10)
CALLBACK_PATH = "/login/callback"
_SESSION_PURPOSE = "session-cookie"
_STATE_PURPOSE = "login-state-cookie"


def _secure(settings: Settings) -> bool:
    return settings.public_url.lower().startswith("https://")


def session_cookie(settings: Settings, session_id: str) -> Cookie:
    """The cookie that carries a session id, signed, for SESSION_LIFETIME from now."""
    return Cookie(
        key=SESSION_COOKIE,
        value=crypto.sign(settings.secret_key, _SESSION_PURPOSE, session_id),
        max_age=int(SESSION_LIFETIME.total_seconds()),
        path="/",
        secure=_secure(settings),
        httponly=True,
        samesite="lax",
    )


def cleared_session_cookie(settings: Settings) -> Cookie:
    """Tells the browser to forget the session cookie."""
    return Cookie(
        key=SESSION_COOKIE, value="", max_age=0, path="/", secure=_secure(settings), httponly=True, samesite="lax"
    )


def session_id_from(settings: Settings, cookies: Mapping[str, str]) -> str | None:
    """The session id in the request's cookie when it carries our signature, else None."""
    return crypto.unsign(settings.secret_key, _SESSION_PURPOSE, cookies.get(SESSION_COOKIE))


def state_cookie(settings: Settings, data: dict[str, Any]) -> Cookie:
    """The signed state of a login in progress (the `state` sent to GitHub and where to go next)."""
    return Cookie(
        key=STATE_COOKIE,
        value=crypto.sign_json(settings.secret_key, _STATE_PURPOSE, data),
        max_age=int(STATE_LIFETIME.total_seconds()),
        path=CALLBACK_PATH,
        secure=_secure(settings),
        httponly=True,
        samesite="lax",
    )


def cleared_state_cookie(settings: Settings) -> Cookie:
    return Cookie(key=STATE_COOKIE, value="", max_age=0, path=CALLBACK_PATH, secure=_secure(settings), httponly=True)


def state_from(settings: Settings, cookies: Mapping[str, str]) -> dict[str, Any] | None:
    """The login state the browser brought back, when it is ours."""
    return crypto.unsign_json(settings.secret_key, _STATE_PURPOSE, cookies.get(STATE_COOKIE))
