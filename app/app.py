"""create_app(): wires settings, database, job queue, routes and the dashboard into one Litestar app."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from litestar import Litestar
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.plugins.prometheus import PrometheusConfig
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app.links.resolver import LinkResolver
from app.logs import install_log_redaction
from app.problems import EXCEPTION_HANDLERS
from app.providers import DEPENDENCIES
from app.queue import ArqJobQueue, InProcessJobQueue, JobQueue, load_in_process_jobs
from app.requeue import requeue_periodically, requeue_unfinished
from app.routes import service_routers
from app.runtime import Runtime, build_runtime
from app.settings import Settings, get_settings
from app.startup import check_secret_key
from app.usage.counter import UsageCounter


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
        app.state.link_resolver = LinkResolver(runtime)
        app.state.usage = usage = UsageCounter(runtime.sessions, settings.secret_key)
        usage.start(settings.usage_flush_seconds)
        runtime.invalidation.attach(app.state.link_resolver)
        await runtime.invalidation.start()  # cached links drop at once when another process changes them
        requeuing: asyncio.Task[None] | None = None
        if isinstance(runtime.queue, InProcessJobQueue):  # in-process jobs died with the last process
            await requeue_unfinished(runtime, timedelta(0))
            requeuing = asyncio.create_task(requeue_periodically(runtime), name="jobs.requeue")
        try:
            yield
        finally:
            if requeuing is not None:
                requeuing.cancel()
                await asyncio.gather(requeuing, return_exceptions=True)
            await usage.close()  # the clicks counted since the last flush, before the database goes away
            await app.state.link_resolver.close()
            await runtime.close()

    # Visitor links are counted by app.links.resolver instead: the generic middleware costs more than a
    # cached hit itself.
    prometheus = PrometheusConfig(
        app_name="contextjson", group_path=True, exclude=["^/metrics$", r"^/[^/]+/[^/]+/(context|tree)/"]
    )
    app = Litestar(
        route_handlers=service_routers(),
        dependencies=DEPENDENCIES,
        lifespan=[lifespan],
        # The client address behind TRUSTED_PROXIES (right-most untrusted X-Forwarded-For entry), for
        # per-client limits; done here rather than by uvicorn so every way of serving the app agrees.
        middleware=[
            DefineMiddleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies),  # type: ignore[arg-type]
            prometheus.middleware,
        ],
        # One handler for everything: HTML for browsers, problem+json for the rest (see app.problems).
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=OpenAPIConfig(
            title="contextjson", version="0.1.0", path="/schema", render_plugins=[JsonRenderPlugin(path="/")]
        ),
    )
    app.state.runtime = runtime
    return app
