"""What `contextjson apikey …` does (app.api_keys.cli parses the arguments)."""

from __future__ import annotations

import argparse
import asyncio

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.accounts.repository import account_by_login
from app.api_keys import repository as repo
from app.api_keys.service import create_key, revoke_key
from app.api_keys.views import key_view
from app.db.engine import create_engine
from app.db.models import Account
from app.errors import AppError
from app.settings import Settings, get_settings


class CommandFailed(Exception):
    """A problem the operator can fix: printed as one line, exit status 1."""


def run_command(args: argparse.Namespace) -> None:
    try:
        for line in asyncio.run(_run(get_settings(), args)):
            print(line)
    except (CommandFailed, AppError) as exc:
        raise SystemExit(f"contextjson apikey {args.action}: {getattr(exc, 'detail', exc)}") from None


async def _run(settings: Settings, args: argparse.Namespace) -> list[str]:
    engine = create_engine(settings.database_url)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            account = await _account(session, args.account)
            lines = await _action(session, settings, account, args)
            await session.commit()
            return lines
    finally:
        await engine.dispose()


async def _action(session: AsyncSession, settings: Settings, account: Account, args: argparse.Namespace) -> list[str]:
    assert account.id is not None
    if args.action == "create":
        created = await create_key(
            session,
            settings.secret_key,
            account_id=account.id,
            name=args.name,
            monthly_cap_usd=args.monthly_cap_usd,
            created_by="cli",
        )
        return [f"API key {created.row.id} ({created.row.name}) for {account.login}: {created.key}"]
    if args.action == "revoke":
        await revoke_key(session, account_id=account.id, key_id=args.key_id)
        return [f"API key {args.key_id} of {account.login} is revoked"]
    keys = [key_view(row) for row in await repo.live_keys_of_account(session, account.id)]
    if not keys:
        return [f"{account.login} has no API keys"]
    return [
        f"{key.id}\t{key.prefix}\t{key.name}\tcap={key.monthly_cap_usd or 'none'}\t"
        f"last used={key.last_used_at.isoformat() if key.last_used_at else 'never'}"
        for key in keys
    ]


async def _account(session: AsyncSession, login: str) -> Account:
    account = await account_by_login(session, login)
    if account is None:
        raise CommandFailed(f"no account {login!r}: it appears once the GitHub App is installed on it")
    return account
