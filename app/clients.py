"""The shared clients of a process, created once and closed once (the web app and the arq worker each build one).

Nothing else reaches into this object: request handlers receive each client by name through
app.providers, jobs read each one by name from the arq context (`Clients.job_context`), and services are
handed exactly the clients they use.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.app_registration.service import load_registration
from app.completions.settlements import PendingSettlements
from app.db.engine import create_engine, create_sessionmaker
from app.fetch import FetchPolicy
from app.github_source import AppGitHub
from app.links.invalidation import InvalidationBus, make_invalidation_bus
from app.llm import LLMClient
from app.models_catalog import ModelCatalog, load_catalog
from app.queue import JobQueue
from app.results.broker import TokenBroker, make_broker
from app.settings import Settings
from app.topups.stripe_api import StripeGateway

T = TypeVar("T")


@dataclass
class Clients:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    catalog: ModelCatalog
    broker: TokenBroker
    llm: LLMClient
    github: AppGitHub
    stripe: StripeGateway
    fetch_policy: FetchPolicy = field(default_factory=FetchPolicy)
    # Tells every web process to drop cached links (push, privatized, uninstalled, failed result).
    invalidation: InvalidationBus = field(default_factory=InvalidationBus)
    # Charges of answered API calls still being written: close() waits for them before the engine goes.
    settlements: PendingSettlements = field(default_factory=PendingSettlements)
    # Attached when the process starts (the in-process queue needs the job context, which holds the queue).
    queue: JobQueue | None = None

    def require_queue(self) -> JobQueue:
        assert self.queue is not None, "the job queue is attached when the process starts"
        return self.queue

    def job_context(self) -> dict[str, Any]:
        """The clients by name, as jobs read them from the arq context (`ctx["sessions"]`, ...)."""
        return {
            "settings": self.settings,
            "sessions": self.sessions,
            "catalog": self.catalog,
            "broker": self.broker,
            "llm": self.llm,
            "github": self.github,
            "fetch_policy": self.fetch_policy,
            "invalidation": self.invalidation,
            "queue": self.require_queue(),
        }

    async def close(self) -> None:
        await self.settlements.drain()
        if self.queue is not None:
            await self.queue.close()
        await self.invalidation.close()
        await self.broker.close()
        await self.llm.aclose()
        await self.stripe.aclose()
        await self.engine.dispose()


def build_clients(settings: Settings) -> Clients:
    """Create the engine, session factory, model list and outside-service clients (no I/O yet)."""
    engine = create_engine(settings.database_url)
    sessions = create_sessionmaker(engine)
    return Clients(
        settings=settings,
        engine=engine,
        sessions=sessions,
        catalog=load_catalog(settings.models_file),
        broker=make_broker(settings.redis_url),
        invalidation=make_invalidation_bus(settings.redis_url),
        github=AppGitHub(settings, functools.partial(load_registration, sessions, settings.secret_key)),
        llm=LLMClient(
            settings.llm_base_url,
            settings.llm_api_key,
            max_attempts=settings.llm_max_attempts,
            backoff_base=settings.llm_backoff_seconds,
            first_token_timeout=settings.llm_first_token_timeout,
            idle_timeout=settings.llm_idle_timeout,
        ),
        stripe=StripeGateway(settings),
    )


def pick(bundle: type[T], context: Mapping[str, Any]) -> T:
    """A feature's typed bundle of clients (a dataclass), filled by field name from a job context."""
    return bundle(**{f.name: context[f.name] for f in fields(bundle)})  # type: ignore[arg-type]
