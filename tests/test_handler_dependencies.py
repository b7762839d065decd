"""Handlers ask for the shared clients they use by name (app.providers), never for the whole Clients object."""

from __future__ import annotations

import inspect
from typing import Any

from litestar import get
from litestar.di import NamedDependency
from litestar.testing import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from app.app import create_app
from app.db.engine import Sessions
from app.db.migrate import upgrade
from app.llm import LLMClient
from app.models_catalog import ModelCatalog
from app.providers import DEPENDENCIES
from app.queue import JobQueue
from app.results.broker import TokenBroker
from app.settings import Settings


def _handlers(app: Any) -> list[Any]:
    return [handler for route in app.routes for handler in getattr(route, "route_handlers", [])]


def test_no_handler_takes_the_whole_clients_object(tmp_path: Any) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'db.sqlite'}", public_url="http://127.0.0.1:8000"))
    handlers = _handlers(app)
    assert len(handlers) > 10
    taking_all = []
    for handler in handlers:
        fn = getattr(handler.fn, "func", handler.fn)  # Litestar wraps some handlers
        for name, param in inspect.signature(fn).parameters.items():
            if name in ("clients", "runtime") or "Clients" in str(param.annotation):
                taking_all.append(f"{handler.handler_name}({name})")
    assert taking_all == []
    assert not {"clients", "runtime"} & set(app.dependencies) and set(DEPENDENCIES) <= set(app.dependencies)


def test_each_dependency_resolves_in_a_request(tmp_path: Any) -> None:
    """Every provider answers with its client, under the type handlers declare (Litestar checks it)."""
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade(url)

    @get("/probe-dependencies", sync_to_thread=False)
    def probe(
        settings: NamedDependency[Settings],
        engine: NamedDependency[AsyncEngine],
        sessions: NamedDependency[Sessions],
        llm: NamedDependency[LLMClient],
        broker: NamedDependency[TokenBroker],
        queue: NamedDependency[JobQueue],
        catalog: NamedDependency[ModelCatalog],
    ) -> dict[str, str]:
        values = (settings, engine, sessions, llm, broker, queue, catalog)
        return {type(v).__name__: "ok" for v in values}

    app = create_app(Settings(database_url=url, public_url="http://127.0.0.1:8000"))
    app.register(probe)
    with TestClient(app) as client:
        names = client.get("/probe-dependencies").json()
    assert {"Settings", "AsyncEngine", "LLMClient", "ModelCatalog", "InProcessJobQueue"} <= set(names)
