"""Typed dependencies for request handlers: each shared client by its own name, never the whole Clients object.

The application creates the shared clients once (app.clients.build_clients, in create_app) and handlers
ask for exactly what they use:

    async def handler(session: NamedDependency[AsyncSession], settings: NamedDependency[Settings]) -> ...

`viewer` is who signed in (app.auth.viewer.Viewer); asking for it refuses anonymous requests (pages go
to /login, /api answers 401), so routes that take it are for signed-in viewers only.

Jobs get the same clients through the arq context. Web-only state (the link cache, client limits, the
in-process single flight) lives in app.links.resolver.LinkResolver and is not a dependency.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from litestar import Request
from litestar.datastructures import State
from litestar.di import Provide
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.auth.identify import require_viewer
from app.auth.viewer import Viewer
from app.clients import Clients
from app.completions.settlements import PendingSettlements
from app.github_source import AppGitHub
from app.links.invalidation import InvalidationBus
from app.llm import LLMClient
from app.models_catalog import ModelCatalog
from app.queue import JobQueue
from app.results.broker import TokenBroker
from app.settings import Settings
from app.topups.stripe_api import StripeGateway


def _clients(state: State) -> Clients:
    return state.clients  # type: ignore[no-any-return]


def provide_settings(state: State) -> Settings:
    return _clients(state).settings


def provide_engine(state: State) -> AsyncEngine:
    return _clients(state).engine


def provide_sessions(state: State) -> async_sessionmaker[AsyncSession]:
    """The session factory, for handlers that open short sessions around outside calls or streams."""
    return _clients(state).sessions


async def provide_session(state: State) -> AsyncIterator[AsyncSession]:
    """One session per request; anything the handler did not commit is rolled back."""
    async with _clients(state).sessions() as session:
        yield session


def provide_github(state: State) -> AppGitHub:
    """The GitHub App client; its calls answer a clear 503 while the App's credentials are not configured."""
    return _clients(state).github


def provide_llm(state: State) -> LLMClient:
    return _clients(state).llm


def provide_broker(state: State) -> TokenBroker:
    return _clients(state).broker


def provide_queue(state: State) -> JobQueue:
    return _clients(state).require_queue()


def provide_catalog(state: State) -> ModelCatalog:
    return _clients(state).catalog


async def provide_viewer(request: Request) -> Viewer:  # type: ignore[type-arg]
    """The signed-in viewer (found once per request, shared with the `logged_in` guard)."""
    return await require_viewer(request)


def provide_invalidation(state: State) -> InvalidationBus:
    """Tells every web process to drop cached links (settings that change how links answer, e.g. a pause)."""
    return _clients(state).invalidation


def provide_stripe(state: State) -> StripeGateway:
    """The Stripe API client; its calls answer a clear 503 when STRIPE_SECRET_KEY is not set."""
    return _clients(state).stripe


def provide_settlements(state: State) -> PendingSettlements:
    """Charges of answered API calls still being written (shutdown waits for them)."""
    return _clients(state).settlements


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
    "viewer": Provide(provide_viewer),
    "stripe": Provide(provide_stripe, sync_to_thread=False),
    "invalidation": Provide(provide_invalidation, sync_to_thread=False),
    "settlements": Provide(provide_settlements, sync_to_thread=False),
}
