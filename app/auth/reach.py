"""Which accounts a signed-in user may act for, as GitHub says, cached briefly on their session.

GitHub lists the App's installations the user can access (GET /user/installations), which includes
accounts where they merely collaborate on a repository. Only two kinds count here: the user's own
account, and organisations the user administers (an active `admin` membership).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth import crypto
from app.auth import repository as repo
from app.auth.client import oauth_client
from app.auth.errors import LoginNotConfigured
from app.db.models import WebSession, utcnow
from app.github_source import AppGitHub
from app.settings import Settings
from github_app.oauth import OAuthFailed, Token, TokenRejected, UserAPI

log = logging.getLogger("contextjson.auth")

# How long what GitHub said is believed: losing an organisation's admin role takes effect within this.
REACH_TTL = timedelta(minutes=5)


async def read_reach(gh: UserAPI, user_id: int) -> list[int]:
    """GitHub ids of the accounts the user may act for: their own, and organisations they administer."""
    reach: set[int] = set()
    for installation in await gh.installations():
        if installation.account_id in reach:
            continue
        if installation.account_type == "User":
            allowed = installation.account_id == user_id
        else:
            allowed = installation.account_type == "Organization" and await gh.is_org_admin(installation.account_login)
        if allowed:
            reach.add(installation.account_id)
    return sorted(reach)


async def refresh_reach(
    settings: Settings, github: AppGitHub, sessions: async_sessionmaker[AsyncSession], row: WebSession
) -> list[int] | None:
    """Ask GitHub again and store the answer; None when GitHub no longer accepts the user's token.

    When GitHub cannot answer, the last answer is kept for another REACH_TTL (logged). No database
    connection is held while GitHub is asked.
    """
    token = crypto.decrypt_json(settings.secret_key, row.token_encrypted)
    if token is None:
        return None  # stored under another SECRET_KEY
    renewed: list[Token] = []

    async def keep(new: Token) -> None:
        renewed.append(new)

    reach = list(row.reach)
    try:
        async with oauth_client(settings, github).as_user(token, keep) as gh:
            reach = await read_reach(gh, row.github_user_id)
    except TokenRejected:
        if not renewed:
            return await _renewed_elsewhere(sessions, row)
    except (OAuthFailed, LoginNotConfigured) as exc:
        log.warning("auth.reach_failed login=%s error=%s", row.login, exc)
    async with sessions() as db:
        stored = crypto.encrypt_json(settings.secret_key, renewed[-1]) if renewed else None
        await repo.store_reach(db, row.id_hash, reach=reach, checked_at=utcnow(), token_encrypted=stored)
        await db.commit()
    return reach


async def _renewed_elsewhere(sessions: async_sessionmaker[AsyncSession], row: WebSession) -> list[int] | None:
    """GitHub refused the token: unless a concurrent request renewed it meanwhile, the session ends."""
    async with sessions() as db:
        current = await repo.live_session(db, row.id_hash, utcnow())
        if current is not None and current.token_encrypted != row.token_encrypted:
            return list(current.reach)
        await repo.delete_session(db, row.id_hash)
        await db.commit()
    log.info("auth.token_rejected login=%s", row.login)
    return None
