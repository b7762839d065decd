"""Database reads for webhook tests (asserting on stored state, not on internals)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from app.db.models import Account, ContextFile, Installation, LedgerEntry, Repository, WebhookDelivery
from tests.conftest import Service

VALID_CONTEXT = """{
  "$schema": "https://contextjson.com/schema",
  "context": {
    "explain": {
      "summary": "Explain this repo",
      "prompt": "Explain what {{owner}}/{{repo}} does and how to start using it.",
      "pathPatterns": ["README.md", "src/**"]
    },
    "api": {"summary": "Describe the public API", "model": "gpt-4.1-mini"}
  }
}
"""

INVALID_CONTEXT = """{
  "context": {
    "explain": {"summary": "%s", "maxFileSize": -1},
    "Bad Id": {"summary": "x"},
    "ok": {"summary": "fine", "model": "no-such-model"}
  }
}
""" % ("x" * 71)


async def count(service: Service, model: Any, *where: Any) -> int:
    async with service.clients.sessions() as session:
        stmt = select(func.count()).select_from(model).where(*where)
        return int((await session.execute(stmt)).scalar_one())


async def deliveries(service: Service) -> list[WebhookDelivery]:
    async with service.clients.sessions() as session:
        return list((await session.execute(select(WebhookDelivery).order_by(WebhookDelivery.id))).scalars())


async def account(service: Service, login: str) -> Account | None:
    async with service.clients.sessions() as session:
        return (await session.execute(select(Account).where(Account.login == login))).scalar_one_or_none()


async def ledger(service: Service, account_id: int) -> list[LedgerEntry]:
    async with service.clients.sessions() as session:
        stmt = select(LedgerEntry).where(LedgerEntry.account_id == account_id).order_by(LedgerEntry.id)
        return list((await session.execute(stmt)).scalars())


async def installation(service: Service, installation_id: int) -> Installation | None:
    async with service.clients.sessions() as session:
        return await session.get(Installation, installation_id)


async def repository(service: Service, repo_id: int) -> Repository | None:
    async with service.clients.sessions() as session:
        return await session.get(Repository, repo_id)


async def context_files(service: Service, repo_id: int) -> list[ContextFile]:
    async with service.clients.sessions() as session:
        stmt = select(ContextFile).where(ContextFile.repository_id == repo_id).order_by(ContextFile.id)
        return list((await session.execute(stmt)).scalars())


__all__ = ["Account", "ContextFile", "Installation", "LedgerEntry", "Repository", "WebhookDelivery"]
