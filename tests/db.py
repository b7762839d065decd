"""Test databases: a migrated PostgreSQL database per test session (emptied between tests) and a migrated
SQLite file per test (copied from a template migrated once per session)."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from app.db.migrate import upgrade


# The machine's PostgreSQL (trust auth). CI points TEST_POSTGRES_URL at its server.
def _admin_url() -> str:
    explicit = os.environ.get("TEST_POSTGRES_URL")
    if explicit:
        return explicit
    configured = os.environ.get("DATABASE_URL", "")
    if configured.startswith(("postgresql", "postgres:")):
        return configured  # test databases are created next to it on the same server
    return "postgresql://postgres@127.0.0.1:5432/postgres"


ADMIN_URL = _admin_url()

TABLES = [
    "api_keys",
    "usage_days",
    "usage_referrers",
    "usage_viewers",
    "usage_visitors",
    "topups",
    "stripe_events",
    "context_settings",
    "github_app_registration",
    "web_sessions",
    "job_outbox",
    "check_claims",
    "repository_names",
    "results",
    "branch_heads",
    "ledger_entries",
    "context_files",
    "repositories",
    "installations",
    "accounts",
    "webhook_deliveries",
]


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(_asyncpg_dsn(ADMIN_URL))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def create_postgres_database() -> str:
    """Create and migrate a throwaway database; returns its URL."""
    url = create_empty_postgres_database()
    upgrade(url)
    return url


def create_empty_postgres_database() -> str:
    """Create a throwaway database without any schema (drop it with drop_postgres_database)."""
    name = f"cj_test_{uuid.uuid4().hex[:12]}"
    _run(_admin(f'CREATE DATABASE "{name}"'))
    return make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(url: str) -> None:
    name = make_url(url).database
    _run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def empty_postgres_tables(url: str) -> None:
    conn = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        await conn.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
    finally:
        await conn.close()


def migrated_sqlite_template(directory: Path) -> Path:
    path = directory / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


def sqlite_copy(template: Path, directory: Path) -> str:
    target = directory / f"{uuid.uuid4().hex}.db"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


def _run(coro: Any) -> None:
    """Run a coroutine to completion from sync code, even when an event loop is already running here."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coro).result()
