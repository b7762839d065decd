"""SQL for API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.db.models import Account, ApiKey


async def live_key_by_prefix(session: AsyncSession, prefix: str) -> tuple[ApiKey, Account] | None:
    """The unrevoked key with this prefix and its account."""
    stmt = (
        select(ApiKey, Account)
        .join(Account, col(Account.id) == col(ApiKey.account_id))
        .where(col(ApiKey.prefix) == prefix, col(ApiKey.revoked_at).is_(None))
    )
    row = (await session.execute(stmt)).first()
    return None if row is None else (row[0], row[1])


async def live_key_row(session: AsyncSession, prefix: str) -> Any:
    """The columns of the unrevoked key with this prefix that a call needs (one Core statement, no entities),
    as a row (`.id`, `.account_id`, `.key_hash`, `.last_used_at`, `.monthly_cap_micros`) or None."""
    stmt = select(
        col(ApiKey.id),
        col(ApiKey.account_id),
        col(ApiKey.key_hash),
        col(ApiKey.last_used_at),
        col(ApiKey.monthly_cap_micros),
    ).where(col(ApiKey.prefix) == prefix, col(ApiKey.revoked_at).is_(None))
    return (await session.execute(stmt)).first()


async def live_keys_of_account(session: AsyncSession, account_id: int) -> list[ApiKey]:
    stmt = (
        select(ApiKey)
        .where(col(ApiKey.account_id) == account_id, col(ApiKey.revoked_at).is_(None))
        .order_by(col(ApiKey.created_at).desc(), col(ApiKey.id).desc())
    )
    return list((await session.execute(stmt)).scalars())


async def revoke(session: AsyncSession, account_id: int, key_id: int, at: datetime) -> bool:
    """Revoke one live key of the account; False when it has no such live key."""
    stmt = (
        update(ApiKey)
        .where(col(ApiKey.id) == key_id, col(ApiKey.account_id) == account_id, col(ApiKey.revoked_at).is_(None))
        .values(revoked_at=at)
    )
    result = await session.execute(stmt)
    return bool(getattr(result, "rowcount", 0))


async def mark_used(session: AsyncSession, key_id: int, at: datetime) -> None:
    await session.execute(update(ApiKey).where(col(ApiKey.id) == key_id).values(last_used_at=at))
