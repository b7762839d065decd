"""Apply Alembic migrations from code (`contextjson migrate`, `serve` on SQLite) and check a database's schema."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, make_url

from app.db.engine import create_engine, is_sqlite

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "alembic_version"
# One PostgreSQL advisory lock key for every contextjson process ("cjmigrat" as a 64-bit integer).
MIGRATION_LOCK_KEY = int.from_bytes(b"cjmigrat", "big") & 0x7FFF_FFFF_FFFF_FFFF


def alembic_config(database_url: str) -> Config:
    """An Alembic config pointing at our migrations and the given database."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def describe_database(database_url: str) -> str:
    """HOST[:PORT]/DB (or the SQLite file) for messages; never the password."""
    url = make_url(database_url)
    if is_sqlite(database_url):
        return url.database or ":memory:"
    host = url.host or "localhost"
    return f"{host}:{url.port}/{url.database}" if url.port else f"{host}/{url.database}"


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database to `revision` (synchronous; safe to call from inside an event loop)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(_upgrade(database_url, revision))
        return
    with ThreadPoolExecutor(max_workers=1) as pool:  # a running loop cannot host a second one
        pool.submit(asyncio.run, _upgrade(database_url, revision)).result()


async def _upgrade(database_url: str, revision: str) -> None:
    """On PostgreSQL, concurrent callers (pods starting together) run one at a time."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            if not is_sqlite(database_url):
                # Held until the commit below: the others wait here, then find the schema already at head.
                await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            await conn.run_sync(_upgrade_on, database_url, revision)
            await conn.commit()
    finally:
        await engine.dispose()


def _upgrade_on(connection: Connection, database_url: str, revision: str) -> None:
    cfg = alembic_config(database_url)
    cfg.attributes["connection"] = connection  # env.py migrates on it, inside this transaction
    command.upgrade(cfg, revision)


async def schema_problem(database_url: str) -> str | None:
    """None when the database is at this code's head revision, else one line saying what to do.

    Connection failures are raised to the caller, which words them.
    """
    script = ScriptDirectory.from_config(alembic_config(database_url))
    heads = set(script.get_heads())
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            current = await conn.run_sync(_current_revisions)
    finally:
        await engine.dispose()
    if current == heads:
        return None
    where = describe_database(database_url)
    unknown = sorted(rev for rev in current if _lookup(script, rev) is None)
    if unknown:
        return (
            f"the database at {where} has schema revision {', '.join(unknown)}, which this version of contextjson "
            "does not know (migrated by a newer release?): run the matching release"
        )
    return f"the database at {where} has no contextjson schema (or an old one): run `contextjson migrate`"


def _current_revisions(connection: Connection) -> set[str]:
    # Read directly rather than through alembic's MigrationContext, which logs two lines at INFO.
    if not inspect(connection).has_table(VERSION_TABLE):
        return set()
    return {row[0] for row in connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))}


def _lookup(script: ScriptDirectory, revision: str) -> object | None:
    try:
        return script.get_revision(revision)
    except Exception:  # alembic raises several kinds for unknown or malformed ids
        return None
