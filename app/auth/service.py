"""The login flow: send the browser to GitHub with a state, take it back, open a session; and log out."""

from __future__ import annotations

import hmac
import logging
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from litestar.datastructures import Cookie
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth import crypto
from app.auth import repository as repo
from app.auth.client import callback_url, oauth_client
from app.auth.cookies import SESSION_LIFETIME, STATE_LIFETIME, session_id_from, state_cookie, state_from
from app.auth.errors import CsrfFailed, LoginDenied, LoginFailed, LoginStateMismatch
from app.auth.next_path import login_link, safe_next
from app.auth.reach import read_reach
from app.auth.viewer import csrf_token_for
from app.db.models import WebSession, utcnow
from app.github_source import AppGitHub
from app.settings import Settings
from github_app.oauth import GitHubUser, OAuthFailed, Token

log = logging.getLogger("contextjson.auth")

_AGAIN = "Log in again"


@dataclass(frozen=True)
class LoginStart:
    authorize_url: str
    cookie: Cookie


@dataclass(frozen=True)
class Callback:
    """What GitHub put on the callback URL."""

    code: str | None = None
    state: str | None = None
    error: str | None = None
    error_description: str | None = None


def start_login(settings: Settings, github: AppGitHub, next_value: str | None) -> LoginStart:
    """GitHub's authorize URL with a fresh state, and the signed cookie that remembers it (and `next`)."""
    oauth = oauth_client(settings, github)
    state = secrets.token_urlsafe(32)
    data = {"state": state, "next": safe_next(next_value), "at": int(time.time())}
    return LoginStart(oauth.authorize_url(callback_url(settings), state), state_cookie(settings, data))


async def complete_login(
    settings: Settings,
    github: AppGitHub,
    sessions: async_sessionmaker[AsyncSession],
    callback: Callback,
    cookies: Mapping[str, str],
) -> tuple[str, str]:
    """Check the state, trade the code for the user's token, open a session: (session id, where to go next)."""
    started = _started_login(settings, callback, cookies)
    next_path = safe_next(started.get("next"))
    if callback.error:
        raise _refusal(callback, next_path)
    if not callback.code:
        raise LoginStateMismatch("GitHub sent no code back.", links=[(_AGAIN, login_link(next_path))])
    token, user, reach = await _ask_github(settings, github, callback.code, next_path)
    session_id = crypto.new_session_id()
    now = utcnow()
    async with sessions() as db:
        await repo.delete_expired_sessions(db, now)
        replaced = session_id_from(settings, cookies)
        if replaced is not None:  # logging in again replaces the browser's earlier session
            await repo.delete_session(db, crypto.hash_session_id(replaced))
        await repo.add_session(db, _new_session(settings, session_id, user, token, reach))
        await db.commit()
    log.info("auth.login login=%s accounts=%d", user.login, len(reach))
    return session_id, next_path


def _started_login(settings: Settings, callback: Callback, cookies: Mapping[str, str]) -> dict[str, Any]:
    """The login this browser started here (its signed state cookie), if the callback's state matches it."""
    started = state_from(settings, cookies) or {}
    fresh = time.time() - float(started.get("at") or 0) <= STATE_LIFETIME.total_seconds()
    expected = str(started.get("state") or "")
    if not (fresh and expected and callback.state and hmac.compare_digest(callback.state, expected)):
        raise LoginStateMismatch(
            "This login was not started from this browser in the last few minutes (or it was already used), "
            "so it was refused. Start again from the login link.",
            links=[(_AGAIN, "/login")],
        )
    return started


def _refusal(callback: Callback, next_path: str) -> Exception:
    again = [(_AGAIN, login_link(next_path))]
    if callback.error == "access_denied":
        return LoginDenied("You cancelled the login on GitHub, so you are not logged in.", links=again)
    reason = callback.error_description or callback.error or "no reason given"
    return LoginFailed(f"GitHub refused the login: {reason}.", links=again)


async def _ask_github(
    settings: Settings, github: AppGitHub, code: str, next_path: str
) -> tuple[Token, GitHubUser, list[int]]:
    """The user's token (the latest, if GitHub renewed it meanwhile), who they are and what they may reach."""
    oauth = oauth_client(settings, github)
    renewed: list[Token] = []

    async def keep(new: Token) -> None:
        renewed.append(new)

    again = [(_AGAIN, login_link(next_path))]
    try:
        token = await oauth.exchange_code(code, callback_url(settings))
        async with oauth.as_user(token, keep) as gh:
            user = await gh.user()
            reach = await read_reach(gh, user.id)
    except OAuthFailed as exc:
        log.warning("auth.login_failed error=%s", exc)
        if exc.error == "bad_verification_code":
            raise LoginStateMismatch("This login link was already used or has expired.", links=again) from exc
        raise LoginFailed(f"GitHub did not complete the login ({exc.error}).", links=again) from exc
    return (renewed[-1] if renewed else token), user, reach


def _new_session(settings: Settings, session_id: str, user: GitHubUser, token: Token, reach: list[int]) -> WebSession:
    now = utcnow()
    return WebSession(
        id_hash=crypto.hash_session_id(session_id),
        github_user_id=user.id,
        login=user.login,
        token_encrypted=crypto.encrypt_json(settings.secret_key, token),
        reach=reach,
        reach_checked_at=now,
        created_at=now,
        last_seen_at=now,
        expires_at=now + SESSION_LIFETIME,
    )


async def end_session(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], cookies: Mapping[str, str], sent_token: str
) -> None:
    """Log out: the session named by the cookie is deleted, if the form carries its CSRF token."""
    session_id = session_id_from(settings, cookies)
    if session_id is None:
        return  # nobody to log out
    id_hash = crypto.hash_session_id(session_id)
    if not hmac.compare_digest(sent_token, csrf_token_for(settings.secret_key, id_hash)):
        raise CsrfFailed(
            "The log-out form was not sent with this session's CSRF token. Use the dashboard's Log out button.",
            links=[("Dashboard", "/dashboard")],
        )
    async with sessions() as db:
        await repo.delete_session(db, id_hash)
        await db.commit()
