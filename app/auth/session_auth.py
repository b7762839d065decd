"""The session authenticator: the `cj_session` cookie → the Viewer, renewing the session while it is used."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from app.auth import repository as repo
from app.auth.cookies import SESSION_COOKIE, SESSION_LIFETIME, cleared_session_cookie, session_cookie, session_id_from
from app.auth.crypto import hash_session_id
from app.auth.middleware import set_response_cookie
from app.auth.reach import REACH_TTL, refresh_reach
from app.auth.viewer import Connection, Viewer, csrf_token_for, operator_logins
from app.db.models import WebSession, utcnow
from app.settings import Settings

# A used session is extended (and its cookie re-sent) at most this often: one write per user per interval.
TOUCH_EVERY = timedelta(minutes=5)


def as_utc(value: datetime) -> datetime:
    """SQLite hands datetimes back without their zone; every stored time is UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


async def session_viewer(connection: Connection) -> Viewer | None:
    """The viewer whose live session the request's cookie names; None (and the cookie cleared) otherwise."""
    clients: Any = connection.app.state.clients  # an authenticator runs before dependencies exist
    settings: Settings = clients.settings
    session_id = session_id_from(settings, connection.cookies)
    if session_id is None:
        _forget(connection, settings)
        return None
    id_hash = hash_session_id(session_id)
    now = utcnow()
    async with clients.sessions() as db:
        row = await repo.live_session(db, id_hash, now)
        if row is None:
            _forget(connection, settings)
            return None
        if now - as_utc(row.last_seen_at) >= TOUCH_EVERY:
            await repo.touch_session(db, id_hash, seen_at=now, expires_at=now + SESSION_LIFETIME)
            set_response_cookie(connection, session_cookie(settings, session_id))
        fresh = now - as_utc(row.reach_checked_at) < REACH_TTL
        account_ids = await repo.account_ids_for_github_ids(db, row.reach) if fresh else None
        await db.commit()
    if account_ids is None:  # asked GitHub more than REACH_TTL ago: ask again, holding no connection
        reach = await refresh_reach(settings, clients.github, clients.sessions, row)
        if reach is None:
            _forget(connection, settings)
            return None
        async with clients.sessions() as db:
            account_ids = await repo.account_ids_for_github_ids(db, reach)
    return _viewer(settings, row, account_ids)


def _viewer(settings: Settings, row: WebSession, account_ids: frozenset[int]) -> Viewer:
    return Viewer(
        login=row.login,
        github_user_id=row.github_user_id,
        account_ids=account_ids,
        is_operator=row.login.lower() in operator_logins(settings.operator_logins),
        via="session",
        csrf_token=csrf_token_for(settings.secret_key, row.id_hash),
        session_id_hash=row.id_hash,
    )


def _forget(connection: Connection, settings: Settings) -> None:
    """The request is anonymous: a session cookie it sent (expired, ended or forged) is cleared."""
    if SESSION_COOKIE in connection.cookies:
        set_response_cookie(connection, cleared_session_cookie(settings))
