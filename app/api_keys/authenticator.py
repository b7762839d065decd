"""The API key authenticator: `Authorization: Bearer cj_…` → the Viewer of the key's account.

A request that sends a bearer token is judged by it alone: a wrong, revoked or foreign token is a 401, never
a fall back to the session cookie. Keys are read from the database on every request (one indexed lookup),
so a revocation holds at once on every replica with nothing to invalidate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.api_keys import repository as repo
from app.api_keys.tokens import lookup_prefix, matches
from app.auth.session_auth import as_utc
from app.auth.viewer import Connection, Viewer
from app.db.models import utcnow
from app.errors import AppError
from app.settings import Settings

# `last_used_at` is written at most this often per key: one write per key per minute, not one per request.
MARK_USED_EVERY = timedelta(minutes=1)


class InvalidApiKey(AppError):
    status_code = 401
    code = "auth.invalid_api_key"
    title = "This API key is not valid"


def bearer_token(connection: Connection) -> str | None:
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip()


async def api_key_viewer(connection: Connection) -> Viewer | None:
    """The key's account as a Viewer; None without a bearer token; 401 for one that is not a live key."""
    token = bearer_token(connection)
    if token is None:
        return None
    clients: Any = connection.app.state.clients  # an authenticator runs before dependencies exist
    settings: Settings = clients.settings
    prefix = lookup_prefix(token)
    if prefix is None:
        raise invalid_key()
    async with clients.sessions() as db:
        found = await repo.live_key_by_prefix(db, prefix)
        if found is None or not matches(settings.secret_key, token, found[0].key_hash):
            raise invalid_key()
        key, account = found
        now = utcnow()
        if key.last_used_at is None or now - as_utc(key.last_used_at) >= MARK_USED_EVERY:
            assert key.id is not None
            await repo.mark_used(db, key.id, now)
            await db.commit()
    assert account.id is not None
    return Viewer(
        login=account.login,
        github_user_id=account.github_id,
        account_ids=frozenset({account.id}),
        is_operator=False,  # operator powers come with a person's login, never with a key
        via="api_key",
        api_key_id=key.id,
    )


@dataclass(frozen=True)
class LiveKey:
    """A checked key, as the API's hot path needs it (no ORM objects: read with one Core statement)."""

    id: int
    account_id: int
    monthly_cap_micros: int | None


async def check_key(session: AsyncSession, secret_key: str, token: str) -> LiveKey:
    """The live key `token` inside the caller's transaction (read at once: revocation holds everywhere); 401
    when it is not one. Marks it used at most once per MARK_USED_EVERY, in the same transaction."""
    prefix = lookup_prefix(token)
    row = None if prefix is None else await repo.live_key_row(session, prefix)
    if row is None or not matches(secret_key, token, row.key_hash):
        raise invalid_key()
    now = utcnow()
    if row.last_used_at is None or now - as_utc(row.last_used_at) >= MARK_USED_EVERY:
        await repo.mark_used(session, row.id, now)
    return LiveKey(row.id, row.account_id, row.monthly_cap_micros)


def invalid_key() -> InvalidApiKey:
    return InvalidApiKey(
        "The API key is wrong, revoked or not one of this service's keys. Create a key on the dashboard's "
        "API keys page and send it as `Authorization: Bearer <key>`.",
        headers={"WWW-Authenticate": 'Bearer realm="contextjson", error="invalid_token"'},
    )
