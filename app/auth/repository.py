"""SQL for web sessions, and for the accounts a session's GitHub ids name."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.db.models import Account, WebSession


async def add_session(session: AsyncSession, web_session: WebSession) -> None:
    session.add(web_session)
    await session.flush()


async def live_session(session: AsyncSession, id_hash: str, now: datetime) -> WebSession | None:
    """The session with this id hash, unless it has expired."""
    stmt = select(WebSession).where(col(WebSession.id_hash) == id_hash, col(WebSession.expires_at) > now)
    return (await session.execute(stmt)).scalar_one_or_none()


async def touch_session(session: AsyncSession, id_hash: str, *, seen_at: datetime, expires_at: datetime) -> None:
    """The session was used: it now lasts until `expires_at` (a sliding expiry)."""
    await session.execute(
        update(WebSession).where(col(WebSession.id_hash) == id_hash).values(last_seen_at=seen_at, expires_at=expires_at)
    )


async def store_reach(
    session: AsyncSession, id_hash: str, *, reach: list[int], checked_at: datetime, token_encrypted: str | None
) -> None:
    """What GitHub said the user may reach (and the user's token, when GitHub renewed it)."""
    values: dict[str, object] = {"reach": reach, "reach_checked_at": checked_at}
    if token_encrypted is not None:
        values["token_encrypted"] = token_encrypted
    await session.execute(update(WebSession).where(col(WebSession.id_hash) == id_hash).values(**values))


async def store_token(session: AsyncSession, id_hash: str, token_encrypted: str) -> None:
    """The user's token, renewed by GitHub while it was used."""
    await session.execute(
        update(WebSession).where(col(WebSession.id_hash) == id_hash).values(token_encrypted=token_encrypted)
    )


async def delete_session(session: AsyncSession, id_hash: str) -> None:
    await session.execute(delete(WebSession).where(col(WebSession.id_hash) == id_hash))


async def delete_expired_sessions(session: AsyncSession, now: datetime) -> None:
    await session.execute(delete(WebSession).where(col(WebSession.expires_at) <= now))


async def account_ids_for_github_ids(session: AsyncSession, github_ids: Iterable[int]) -> frozenset[int]:
    """Our ids of the accounts with these GitHub ids (accounts not installed yet are simply absent)."""
    ids = list(github_ids)
    if not ids:
        return frozenset()
    stmt = select(col(Account.id)).where(col(Account.github_id).in_(ids))
    return frozenset(account_id for account_id in (await session.execute(stmt)).scalars() if account_id is not None)
