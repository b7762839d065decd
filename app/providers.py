"""Typed dependencies for request handlers: each shared client by its own name, never the whole Runtime.

The application creates the shared clients once (app.runtime.build_runtime, in create_app) and handlers
ask for exactly what they use:

    async def handler(session: NamedDependency[AsyncSession], settings: NamedDependency[Settings]) -> ...

Jobs get the same clients through the arq context. Web-only state (the link cache, client limits, the
in-process single flight) lives in app.links.resolver.LinkResolver and is not a dependency.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from litestar.datastructures import State
from litestar.di import Provide
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.llm import LLMClient
from app.models_catalog import ModelCatalog
from app.queue import JobQueue
from app.results.broker import TokenBroker
from app.runtime import Runtime
from app.settings import Settings
from app.topups.stripe_api import StripeGateway
from github_app import GitHubApp


def _runtime(state: State) -> Runtime:
    return state.runtime  # type: ignore[no-any-return]


def provide_settings(state: State) -> Settings:
    return _runtime(state).settings


def provide_engine(state: State) -> AsyncEngine:
    return _runtime(state).engine


def provide_sessions(state: State) -> async_sessionmaker[AsyncSession]:
    """The session factory, for handlers that open short sessions around outside calls or streams."""
    return _runtime(state).sessions


async def provide_session(state: State) -> AsyncIterator[AsyncSession]:
    """One session per request; anything the handler did not commit is rolled back."""
    async with _runtime(state).sessions() as session:
        yield session


def provide_github(state: State) -> GitHubApp:
    """The GitHub App client; a clear 503 when the App's credentials are not configured."""
    return _runtime(state).github


def provide_llm(state: State) -> LLMClient:
    return _runtime(state).llm


def provide_broker(state: State) -> TokenBroker:
    return _runtime(state).broker


def provide_queue(state: State) -> JobQueue:
    return _runtime(state).require_queue()


def provide_catalog(state: State) -> ModelCatalog:
    return _runtime(state).catalog


def provide_stripe(state: State) -> StripeGateway:
    """The Stripe API client; its calls answer a clear 503 when STRIPE_SECRET_KEY is not set."""
    return _runtime(state).stripe


DEPENDENCIES = {
    "settings": Provide(provide_settings, sync_to_thread=False),
    "engine": Provide(provide_engine, sync_to_thread=False),
    "sessions": Provide(provide_sessions, sync_to_thread=False),
    "session": Provide(provide_session),
    "github": Provide(provide_github, sync_to_thread=False),
    "llm": Provide(provide_llm, sync_to_thread=False),
    "broker": Provide(provide_broker, sync_to_thread=False),
    "queue": Provide(provide_queue, sync_to_thread=False),
    "catalog": Provide(provide_catalog, sync_to_thread=False),
    "stripe": Provide(provide_stripe, sync_to_thread=False),
}
