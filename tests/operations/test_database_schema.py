"""`serve` and `worker` on a database without the current schema say so in one line; `migrate` is safe to run
from several pods at once."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from alembic.script import ScriptDirectory

from app.db.migrate import alembic_config, describe_database, schema_problem, upgrade
from tests import db
from tests.operations.cli import REPO_ROOT, command_env, error_lines, run_cli

REAL_KEY = "a-real-secret-key-for-this-deployment-0123456789"


@pytest.fixture
def empty_database() -> Iterator[str]:
    url = db.create_empty_postgres_database()
    yield url
    db.drop_postgres_database(url)


def _env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": "redis://127.0.0.1:6379/9",
        "PUBLIC_URL": "https://cj.example",
        "SECRET_KEY": REAL_KEY,
        "SNAPSHOT_CACHE_DIR": str(tmp_path / "snapshots"),
    }


def _head() -> str:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head() or ""


async def _sql(url: str, statement: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetch(statement)
    finally:
        await conn.close()


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_an_unmigrated_database_is_one_line(command: str, empty_database: str, tmp_path: Path) -> None:
    proc = run_cli([command], _env(empty_database, tmp_path))
    assert proc.returncode == 2
    assert error_lines(proc) == [
        f"contextjson {command}: the database at {describe_database(empty_database)} has no contextjson schema "
        "(or an old one): run `contextjson migrate`"
    ]
    assert describe_database(empty_database).startswith("127.0.0.1:5432/cj_test_")


def test_an_old_schema_is_one_line_and_migrate_fixes_it(empty_database: str, tmp_path: Path) -> None:
    upgrade(empty_database, "0002")
    proc = run_cli(["serve"], _env(empty_database, tmp_path))
    assert proc.returncode == 2 and "(or an old one): run `contextjson migrate`" in proc.stderr
    migrate = run_cli(["migrate"], _env(empty_database, tmp_path))
    assert migrate.returncode == 0 and "database is up to date" in migrate.stdout
    assert asyncio.run(schema_problem(empty_database)) is None


def test_a_schema_from_a_newer_release_is_named(empty_database: str) -> None:
    upgrade(empty_database)
    asyncio.run(_sql(empty_database, "UPDATE alembic_version SET version_num = '9999_future'"))
    problem = asyncio.run(schema_problem(empty_database))
    assert problem is not None and "schema revision 9999_future, which this version of contextjson" in problem


def test_an_unreachable_database_is_one_line(tmp_path: Path) -> None:
    url = "postgresql://postgres:hunter2@127.0.0.1:1/contextjson"
    proc = run_cli(["serve"], _env(url, tmp_path))
    assert proc.returncode == 2
    [line] = error_lines(proc)
    assert line.startswith("contextjson serve: cannot reach the database at 127.0.0.1:1/contextjson: ")
    assert "hunter2" not in proc.stderr


def test_concurrent_migrations_run_one_at_a_time(empty_database: str, tmp_path: Path) -> None:
    """Pods starting together each run `contextjson migrate`: one migrates, the others wait, then find nothing
    to do (without the lock, all but one fail on the duplicate alembic_version table)."""
    command = [sys.executable, "-m", "app.cli", "migrate"]
    env = command_env(_env(empty_database, tmp_path))
    procs = [
        subprocess.Popen(command, env=env, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for _ in range(4)
    ]
    outputs = [proc.communicate(timeout=120)[0] for proc in procs]
    assert [proc.returncode for proc in procs] == [0] * 4, outputs
    assert asyncio.run(schema_problem(empty_database)) is None
    rows = asyncio.run(_sql(empty_database, "SELECT version_num FROM alembic_version"))
    assert [row["version_num"] for row in rows] == [_head()]
