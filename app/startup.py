"""Checks made before `contextjson serve` or `worker` starts; each failure is one line saying what to fix."""

from __future__ import annotations

import asyncio
import ipaddress
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from app.db.engine import is_sqlite
from app.db.migrate import describe_database, schema_problem, upgrade
from app.models_catalog import ModelsFileError, load_catalog
from app.settings import DEV_SECRET_KEY, Settings

NEW_SECRET_HINT = "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"


class StartupError(Exception):
    """A configuration or environment problem the operator must fix before the process can run."""


def is_loopback_url(url: str) -> bool:
    """True when the URL's host is localhost, 127.0.0.0/8 or ::1 (a developer's own machine)."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def check_secret_key(settings: Settings) -> None:
    """The development SECRET_KEY (or none) is refused unless the service is only reachable locally."""
    if settings.secret_key not in ("", DEV_SECRET_KEY) or is_loopback_url(settings.public_url):
        return
    raise StartupError(
        f"SECRET_KEY is not set (the development default only works when PUBLIC_URL is a loopback address, "
        f"and PUBLIC_URL is {settings.public_url}): set SECRET_KEY to a long random value, e.g. from "
        f"`{NEW_SECRET_HINT}`"
    )


def check_models_file(settings: Settings) -> None:
    try:
        load_catalog(settings.models_file)
    except ModelsFileError as exc:
        raise StartupError(exc.detail) from exc


def check_snapshot_dir(path: Path) -> None:
    """Generations download repository archives here, so it must be a writable directory."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-check-"):
            pass
    except OSError as exc:
        raise StartupError(
            f"SNAPSHOT_CACHE_DIR {path.resolve()} is not writable ({exc.strerror or exc}): "
            "point it at a writable directory (a volume in a container)"
        ) from exc


async def check_database(database_url: str) -> None:
    """The database answers and has exactly the schema this code expects."""
    try:
        problem = await schema_problem(database_url)
    except Exception as exc:  # any connection failure becomes one readable line
        reason = getattr(exc, "orig", None) or exc
        detail = (str(reason).strip().splitlines() or [""])[0]
        raise StartupError(
            f"cannot reach the database at {describe_database(database_url)}: {type(reason).__name__}: {detail}"
        ) from exc
    if problem:
        raise StartupError(problem)


def prepare(settings: Settings, command: str) -> None:
    """Everything `serve` or `worker` needs before starting; SQLite is migrated here for `serve`."""
    check_secret_key(settings)
    check_models_file(settings)
    if command == "serve" and is_sqlite(settings.database_url):
        # The one-command default: a fresh SQLite file is created and kept up to date automatically.
        upgrade(settings.database_url)
    if command == "worker" or not settings.redis_url:  # this process runs generations
        check_snapshot_dir(settings.snapshot_cache_dir)
    asyncio.run(check_database(settings.database_url))
