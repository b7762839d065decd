"""Key actions as a signed-in owner takes them (dashboard and /api/keys): first the account they may reach."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.api_keys.service import CreatedKey, create_key, revoke_key
from app.auth.viewer import Viewer
from app.guards import viewer_account


async def create_viewers_key(
    session: AsyncSession, secret_key: str, viewer: Viewer, login: str | None, name: str, monthly_cap_usd: str | None
) -> CreatedKey:
    """A new key of the account `login` names (default: the viewer's own); committed."""
    account = await viewer_account(session, viewer, login)
    assert account.id is not None
    created = await create_key(
        session, secret_key, account_id=account.id, name=name, monthly_cap_usd=monthly_cap_usd, created_by=viewer.login
    )
    await session.commit()
    return created


async def revoke_viewers_key(session: AsyncSession, viewer: Viewer, login: str | None, key_id: int) -> str:
    """Revoke one key of the account (committed); returns the account's login."""
    account = await viewer_account(session, viewer, login)
    assert account.id is not None
    await revoke_key(session, account_id=account.id, key_id=key_id)
    await session.commit()
    return account.login
