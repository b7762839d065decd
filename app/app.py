"""create_app(): wires settings, database, job queue, routes and the dashboard into one Litestar app."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from litestar import Litestar
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.plugins.prometheus import PrometheusConfig
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app.clients import Clients, build_clients, pick
from app.context_api.mcp_server import mcp_lifespan
from app.context_files.checks import CheckClients
from app.links.resolver import LinkResolver
from app.logs import install_log_redaction
from app.private_repos.access import RepoAccess
from app.problems import EXCEPTION_HANDLERS
from app.providers import DEPENDENCIES
from app.queue import ArqJobQueue, InProcessJobQueue, JobQueue, load_in_process_jobs
from app.requeue import requeue_periodically, requeue_unfinished
from app.routes import service_routers
from app.security_headers import add_missing as add_missing_security_headers
from app.settings import Settings, get_settings
from app.startup import check_secret_key
from app.usage.counter import UsageCounter


def _attach_queue(clients: Clients, queue: JobQueue | None) -> None:
    """The job queue: arq when REDIS_URL is set, else this process, whose jobs read the clients by name."""
    if queue is None and clients.settings.redis_url:
        queue = ArqJobQueue(clients.settings.redis_url)
    if queue is None:
        job_context: dict[str, Any] = {}  # filled below: the context names the queue itself
        queue = InProcessJobQueue(
            load_in_process_jobs(), job_context, concurrency=clients.settings.in_process_job_concurrency
        )
        clients.queue = queue
        job_context.update(clients.job_context())
    clients.queue = queue


async def _requeue_periodically(clients: Clients) -> None:
    await requeue_periodically(
        clients.sessions,
        clients.require_queue(),
        interval=clients.settings.requeue_interval_seconds,
        older_than=timedelta(seconds=clients.settings.requeue_after_seconds),
    )


def create_app(settings: Settings | None = None, *, queue: JobQueue | None = None) -> Litestar:
    """The web application. Tests pass their own Settings (and may pass a queue)."""
    settings = settings or get_settings()
    check_secret_key(settings)
    install_log_redaction()
    clients = build_clients(settings)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        _attach_queue(clients, queue)
        job_queue = clients.require_queue()
        app.state.link_resolver = LinkResolver(pick(CheckClients, vars(clients)), job_queue)
        app.state.usage = usage = UsageCounter(clients.sessions, settings.secret_key)
        # Who may read which private repository, as GitHub told this process lately (app.private_repos).
        app.state.repo_access = RepoAccess(settings, clients.github, clients.sessions)
        usage.start(settings.usage_flush_seconds)
        clients.invalidation.attach(app.state.link_resolver)
        await clients.invalidation.start()  # cached links drop at once when another process changes them
        await clients.github.ready()  # an App registered from the web on an earlier run
        requeuing: asyncio.Task[None] | None = None
        if isinstance(job_queue, InProcessJobQueue):  # in-process jobs died with the last process
            await requeue_unfinished(clients.sessions, job_queue, timedelta(0))
            requeuing = asyncio.create_task(_requeue_periodically(clients), name="jobs.requeue")
        try:
            yield
        finally:
            if requeuing is not None:
                requeuing.cancel()
                await asyncio.gather(requeuing, return_exceptions=True)
            await usage.close()  # the clicks counted since the last flush, before the database goes away
            await app.state.link_resolver.close()
            await app.state.repo_access.close()
            await clients.close()

    # Visitor links are counted by app.links.resolver instead: the generic middleware costs more than a
    # cached hit itself.
    prometheus = PrometheusConfig(
        app_name="contextjson", group_path=True, exclude=["^/metrics$", r"^/[^/]+/[^/]+/(context|tree)/"]
    )
    app = Litestar(
        route_handlers=service_routers(),
        dependencies=DEPENDENCIES,
        lifespan=[lifespan, mcp_lifespan],  # mcp_lifespan: the MCP servers of context URLs (app.context_api)
        # The client address behind TRUSTED_PROXIES (right-most untrusted X-Forwarded-For entry), for
        # per-client limits; done here rather than by uvicorn so every way of serving the app agrees.
        middleware=[
            DefineMiddleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies),  # type: ignore[arg-type]
            prometheus.middleware,
        ],
        # One handler for everything: HTML for browsers, problem+json for the rest (see app.problems).
        exception_handlers=EXCEPTION_HANDLERS,
        # nosniff on every response; an HTML page built without app.pages.html_response still gets its CSP.
        before_send=[add_missing_security_headers],
        openapi_config=OpenAPIConfig(
            title="contextjson", version="0.1.0", path="/schema", render_plugins=[JsonRenderPlugin(path="/")]
        ),
    )
    app.state.clients = clients
    app.state.settings = settings  # for guards, which cannot take dependencies
    return app
