"""GET /livez (liveness: the process answers) and GET /healthz (readiness: database and Redis answer).

Liveness never looks at the database: an outage there must take pods out of the load balancer
(readiness), not restart every one of them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from litestar import get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.response import Response
from msgspec import UNSET, Meta, Struct, UnsetType
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.openapi import documented, response_example
from app.settings import Settings


class ProbeStatus(StrEnum):
    """How a probe, or one part it checks, is doing (a failed part says `error: ` and the failure's type)."""

    OK = "ok"
    UNAVAILABLE = "unavailable"


class Liveness(Struct):
    """The process serves requests."""

    status: Literal["ok"]


_PART = '"ok", or "error: " followed by the type of the failure'


class Readiness(Struct):
    """Whether the parts the service needs answer."""

    status: ProbeStatus
    database: Annotated[str, Meta(description=f"{_PART}.")]
    redis: Annotated[str | UnsetType, Meta(description=f"{_PART}; only when REDIS_URL is set.")] = UNSET


@get(
    "/livez",
    summary="Liveness",
    cache=False,
    sync_to_thread=False,
    operation_class=documented(response_example(200, {"status": "ok"})),
)
def livez() -> Liveness:
    """200 while the event loop serves requests; checks nothing else."""
    return Liveness(status="ok")


@get(
    "/healthz",
    summary="Readiness",
    cache=False,
    response_description="Ready: every part answers.",
    responses={503: ResponseSpec(Readiness, generate_examples=False, description="Not ready: a part failed.")},
    operation_class=documented(
        response_example(200, {"status": "ok", "database": "ok", "redis": "ok"}),
        response_example(503, {"status": "unavailable", "database": "ok", "redis": "error: ConnectionError"}),
    ),
)
async def healthz(engine: NamedDependency[AsyncEngine], settings: NamedDependency[Settings]) -> Response[Readiness]:
    """200 when the database (and Redis, if used) answer; 503 with the failing part otherwise."""
    database = await _database_status(engine)
    redis = await _redis_status(settings.redis_url) if settings.redis_url else UNSET
    ok = database == ProbeStatus.OK and redis in (UNSET, ProbeStatus.OK)
    body = Readiness(ProbeStatus.OK if ok else ProbeStatus.UNAVAILABLE, database, redis)
    return Response(body, status_code=200 if ok else 503)


async def _database_status(engine: AsyncEngine) -> str:
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return ProbeStatus.OK
    except Exception as exc:  # any failure means "not ready", reported rather than raised
        return f"error: {type(exc).__name__}"


async def _redis_status(url: str) -> str:
    from redis.asyncio import Redis

    client = Redis.from_url(url, socket_timeout=2)
    try:
        await client.ping()
        return ProbeStatus.OK
    except Exception as exc:
        return f"error: {type(exc).__name__}"
    finally:
        await client.aclose()
