"""The clients the context API uses: reading a context (GitHub, the database, URL fetching) and answering with it
(the model API, settlements). Taken from the process's clients by field name (app.clients.pick)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.clients import pick
from app.completions.settlements import PendingSettlements
from app.fetch import FetchPolicy
from app.github_source import AppGitHub
from app.llm import LLMClient
from app.models_catalog import ModelCatalog
from app.settings import Settings


@dataclass(frozen=True)
class ContextClients:
    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    github: AppGitHub
    llm: LLMClient
    catalog: ModelCatalog
    fetch_policy: FetchPolicy
    settlements: PendingSettlements


def context_clients(request: Request[Any, Any, Any]) -> ContextClients:
    return pick(ContextClients, vars(request.app.state.clients))
