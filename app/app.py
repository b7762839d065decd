"""create_app(): wires settings, database, job queue, routes and the dashboard into one Litestar app."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from litestar import Litestar, Request
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController
from litestar.response import Response

import dashboard
from app.db.session import provide_runtime, provide_session
from app.errors import AppError
from app.health import healthz
from app.links.controller import ROUTES as LINK_ROUTES
from app.links.server import LinkServer
from app.queue import JOB_GENERATE, JOB_PROCESS_DELIVERY, ArqJobQueue, InProcessJobQueue, JobQueue, load_in_process_jobs
from app.results.controller import ROUTES as RESULT_ROUTES
from app.results.repository import unfinished_result_ids
from app.runtime import Runtime, build_runtime
from app.settings import Settings, get_settings
from app.webhooks.controller import github_webhook
from app.webhooks.repository import stale_pending_ids

log = logging.getLogger("contextjson")


def _app_error(_: Request, exc: AppError) -> Response[dict[str, str]]:
    return Response({"error": exc.code, "detail": exc.detail}, status_code=exc.status_code)


def _http_error(_: Request, exc: HTTPException) -> Response[dict[str, object]]:
    body: dict[str, object] = {"error": "http_error", "detail": exc.detail}
    return Response(body, status_code=exc.status_code, headers=exc.headers)


def _internal_error(request: Request, exc: Exception) -> Response[dict[str, str]]:
    """Unexpected failures are logged with their traceback and answered with a clear, stable body."""
    log.error("http.internal_error path=%s", request.url.path, exc_info=exc)
    return Response(
        {"error": "internal_error", "detail": "Something went wrong on our side; it has been logged."},
        status_code=500,
    )


def _make_queue(runtime: Runtime) -> JobQueue:
    if runtime.settings.redis_url:
        return ArqJobQueue(runtime.settings.redis_url)
    return InProcessJobQueue(
        load_in_process_jobs(), {"runtime": runtime}, concurrency=runtime.settings.in_process_job_concurrency
    )


async def _resume_pending(runtime: Runtime) -> None:
    """In-process jobs die with the process: unprocessed deliveries and unfinished answers are queued again."""
    async with runtime.sessions() as session:
        pending = await stale_pending_ids(session, timedelta(0))
        unfinished = await unfinished_result_ids(session)
    for pk in pending:
        await runtime.require_queue().enqueue(JOB_PROCESS_DELIVERY, pk, job_id=f"delivery:{pk}")
    for result_id in unfinished:
        await runtime.require_queue().enqueue(JOB_GENERATE, result_id, job_id=f"generate:{result_id}")


def create_app(settings: Settings | None = None, *, queue: JobQueue | None = None) -> Litestar:
    """The web application. Tests pass their own Settings (and may pass a queue)."""
    settings = settings or get_settings()
    runtime = build_runtime(settings)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        runtime.queue = queue or _make_queue(runtime)
        app.state.runtime = runtime
        app.state.link_server = LinkServer(runtime)
        if isinstance(runtime.queue, InProcessJobQueue):
            await _resume_pending(runtime)
        try:
            yield
        finally:
            await runtime.close()

    # Visitor links are counted by app.links.server instead: the generic middleware costs more than a
    # cached hit itself.
    prometheus = PrometheusConfig(
        app_name="contextjson", group_path=True, exclude=["^/metrics$", r"^/[^/]+/[^/]+/(context|tree)/"]
    )
    app = Litestar(
        route_handlers=[github_webhook, healthz, PrometheusController, *RESULT_ROUTES, *LINK_ROUTES, *dashboard.ROUTES],
        dependencies={"runtime": Provide(provide_runtime, sync_to_thread=False), "session": Provide(provide_session)},
        lifespan=[lifespan],
        middleware=[prometheus.middleware],
        exception_handlers={AppError: _app_error, HTTPException: _http_error, Exception: _internal_error},  # type: ignore[dict-item]
        openapi_config=OpenAPIConfig(
            title="contextjson", version="0.1.0", path="/schema", render_plugins=[JsonRenderPlugin(path="/")]
        ),
    )
    app.state.runtime = runtime
    return app
