"""create_app(): wires settings, database, job queue, routes and the dashboard into one Litestar app."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from litestar import Litestar, Request
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.plugins.prometheus import PrometheusConfig
from litestar.response import Response
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

import dashboard
from app.contexts.json_schema import context_json_schema
from app.errors import AppError
from app.health import healthz, livez
from app.links.controller import ROUTES as LINK_ROUTES
from app.links.server import LinkServer
from app.logs import install_log_redaction
from app.metrics import MetricsController
from app.pages import message_page
from app.queue import ArqJobQueue, InProcessJobQueue, JobQueue, load_in_process_jobs
from app.requeue import requeue_unfinished
from app.results.controller import ROUTES as RESULT_ROUTES
from app.runtime import Runtime, build_runtime, provide_runtime, provide_session
from app.settings import Settings, get_settings
from app.startup import check_secret_key
from app.webhooks.controller import github_webhook

log = logging.getLogger("contextjson")


def _wants_html(request: Request) -> bool:
    """Browsers get a readable page; API clients (and anything asking for JSON) get JSON."""
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "application/json" not in accept


def _error(request: Request, status: int, code: str, title: str, detail: str, headers: Any = None) -> Response[Any]:
    if _wants_html(request):
        page = message_page(title, detail, links=[("contextjson home", "/")])
        return Response(page, status_code=status, media_type="text/html", headers=headers)
    return Response({"error": code, "detail": detail}, status_code=status, headers=headers)


def _app_error(request: Request, exc: AppError) -> Response[Any]:
    title = "Not found" if exc.status_code == 404 else "Request failed"
    return _error(request, exc.status_code, exc.code, title, exc.detail)


def _http_error(request: Request, exc: HTTPException) -> Response[Any]:
    return _error(request, exc.status_code, "http_error", "Request failed", str(exc.detail), exc.headers)


def _internal_error(request: Request, exc: Exception) -> Response[Any]:
    """Unexpected failures are logged with their traceback and answered with a clear, stable body."""
    log.error("http.internal_error path=%s", request.url.path, exc_info=exc)
    detail = "Something went wrong on our side; it has been logged."
    return _error(request, 500, "internal_error", "Something went wrong", detail)


def _make_queue(runtime: Runtime) -> JobQueue:
    if runtime.settings.redis_url:
        return ArqJobQueue(runtime.settings.redis_url)
    return InProcessJobQueue(
        load_in_process_jobs(), {"runtime": runtime}, concurrency=runtime.settings.in_process_job_concurrency
    )


def create_app(settings: Settings | None = None, *, queue: JobQueue | None = None) -> Litestar:
    """The web application. Tests pass their own Settings (and may pass a queue)."""
    settings = settings or get_settings()
    check_secret_key(settings)
    install_log_redaction()
    runtime = build_runtime(settings)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        runtime.queue = queue or _make_queue(runtime)
        app.state.runtime = runtime
        app.state.link_server = LinkServer(runtime)
        runtime.invalidation.attach(app.state.link_server)
        await runtime.invalidation.start()  # cached links drop at once when another process changes them
        if isinstance(runtime.queue, InProcessJobQueue):  # in-process jobs died with the last process
            await requeue_unfinished(runtime, timedelta(0))
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
        route_handlers=[
            github_webhook,
            healthz,
            livez,
            MetricsController,
            context_json_schema,
            *RESULT_ROUTES,
            *LINK_ROUTES,
            *dashboard.ROUTES,
        ],
        dependencies={"runtime": Provide(provide_runtime, sync_to_thread=False), "session": Provide(provide_session)},
        lifespan=[lifespan],
        # The client address behind TRUSTED_PROXIES (right-most untrusted X-Forwarded-For entry), for
        # per-client limits; done here rather than by uvicorn so every way of serving the app agrees.
        middleware=[
            DefineMiddleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies),  # type: ignore[arg-type]
            prometheus.middleware,
        ],
        exception_handlers={AppError: _app_error, HTTPException: _http_error, Exception: _internal_error},  # type: ignore[dict-item]
        openapi_config=OpenAPIConfig(
            title="contextjson", version="0.1.0", path="/schema", render_plugins=[JsonRenderPlugin(path="/")]
        ),
    )
    app.state.runtime = runtime
    return app
