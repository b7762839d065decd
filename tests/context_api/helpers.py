"""A repository with a context.json, an API caller with their own key, and the repo owner's key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from app.api_keys.service import create_key
from app.db.models import Account
from tests.completions.helpers import Caller, api_caller
from tests.conftest import Service
from tests.links.helpers import Installed, install_repo

HOST = "http://contextjson.test"
CONTEXT = "/acme/widgets/context/explain"
QUESTION = [{"role": "user", "content": "Where is the widget defined?"}]


@dataclass
class Setup:
    installed: Installed
    caller: Caller  # alice: a developer with her own account and key

    async def owner_balance(self) -> int:
        return (await self.installed.account()).balance_micros


async def context_setup(service: Service, fake_github: Any, **repo: Any) -> Setup:
    installed = await install_repo(service, fake_github, **repo)
    caller = await api_caller(service, fake_github)
    return Setup(installed, caller)


async def owner_caller(service: Service, login: str = "acme") -> Caller:
    """A key of the account that installed the App (as `contextjson apikey create --account acme` makes)."""
    async with service.clients.sessions() as session:
        account = (await session.execute(select(Account).where(Account.login == login))).scalar_one()
        assert account.id is not None
        created = await create_key(
            session,
            service.clients.settings.secret_key,
            account_id=account.id,
            name="owner",
            monthly_cap_usd=None,
            created_by=login,
        )
        await session.commit()
        assert created.row.id is not None
    return Caller(service, created.key, created.row.id, account.id)


def system_message(call: Any) -> str:
    messages = call.body["messages"]
    assert messages[0]["role"] == "system"
    return str(messages[0]["content"])
