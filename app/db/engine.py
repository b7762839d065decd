"""Async engine and session factory; accepts the plain URL forms operators write.

Who commits: a unit of work, which is one of a request handler (the `session` dependency), a job
(jobs.tasks._unit_of_work), or one short step of a flow that must call GitHub or the model API between
database steps (link resolution, generation, visibility refresh): such a step opens its own session,
commits and closes it before the outside call, since no connection may be held across one (see
create_engine). Services called with a session only read and write through it; they never commit it.
tests/database/test_held_connections.py fails when a connection is held across an outside call.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

# The session factory every unit of work opens its sessions from.
Sessions = async_sessionmaker[AsyncSession]

_ASYNC_DRIVERS = {
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
}


def async_database_url(url: str) -> str:
    """Map `postgresql://…` / `sqlite:///…` to the async driver the service uses; keep explicit drivers."""
    parsed = make_url(url)
    driver = _ASYNC_DRIVERS.get(parsed.drivername)
    if driver is None:
        return url
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(database_url: str, **kwargs: Any) -> AsyncEngine:
    """Create the async engine.

    SQLite (the one-process default) gets a single shared connection: requests and in-process jobs then
    queue for it in asyncio order instead of colliding on SQLite's file lock, whose busy handler sleeps in
    steps of up to 100 ms (that was the webhook acknowledgement's p99). Code must therefore never hold a
    session across a call to GitHub or the model API, nor open a second session while one is in use
    (tests/database/test_held_connections.py watches every flow that calls out for the first).
    """
    url = async_database_url(database_url)
    if is_sqlite(url):
        kwargs.setdefault("pool_size", 1)
        kwargs.setdefault("max_overflow", 0)
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    # pool_pre_ping costs one round trip per checkout (bench/api_latency.py --postgres), but without it the first
    # request after a database restart fails on a dead connection, and a webhook delivery that fails is not
    # redelivered by GitHub. Kept until every path retries a connection invalidated mid-statement.
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions keep loaded objects usable after commit (we return them from handlers)."""
    return async_sessionmaker(engine, expire_on_commit=False)
