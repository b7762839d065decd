"""GET /livez (liveness: the process answers) and GET /healthz (readiness: database and Redis answer).

Liveness never looks at the database: an outage there must take pods out of the load balancer
(readiness), not restart every one of them.
"""

from __future__ import annotations

from litestar import get
from litestar.di import NamedDependency
from litestar.response import Response
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.settings import Settings


@get("/livez", summary="Liveness", cache=False, sync_to_thread=False)
def livez() -> dict[str, str]:
    """200 while the event loop serves requests; checks nothing else."""
    return {"status": "ok"}


@get("/healthz", summary="Readiness", cache=False)
async def healthz(
    engine: NamedDependency[AsyncEngine], settings: NamedDependency[Settings]
) -> Response[dict[str, str]]:
    """200 when the database (and Redis, if used) answer; 503 with the failing part otherwise."""
    checks: dict[str, str] = {}
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # any failure means "not ready", reported rather than raised
        checks["database"] = f"error: {type(exc).__name__}"
    if settings.redis_url:
        checks["redis"] = await _redis_status(settings.redis_url)
    ok = all(v == "ok" for v in checks.values())
    return Response({"status": "ok" if ok else "unavailable", **checks}, status_code=200 if ok else 503)


async def _redis_status(url: str) -> str:
    from redis.asyncio import Redis

    client = Redis.from_url(url, socket_timeout=2)
    try:
        await client.ping()
        return "ok"
    except Exception as exc:
        return f"error: {type(exc).__name__}"
    finally:
        await client.aclose()
