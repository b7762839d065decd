"""Every route of the service, registered in one place: one router per feature, each with its guards."""

from __future__ import annotations

from collections.abc import Iterable

from litestar import Router

import dashboard
from app.api.routes import router as api_router
from app.app_registration.routes import router as app_registration_router
from app.auth.routes import router as login_router
from app.completions.routes import router as completions_router
from app.context_api.routes import router as context_api_router
from app.context_files.routes import router as contexts_router
from app.links.routes import owner_alias_router
from app.links.routes import router as links_router
from app.operations.routes import router as operations_router
from app.operator.routes import router as operator_router
from app.pages import static_files_router
from app.results.routes import router as results_router
from app.topups.routes import router as topups_router
from app.webhooks.routes import router as webhooks_router

# Paths Litestar adds by itself (the OpenAPI documents under /schema).
_BUILT_IN_FIRST_SEGMENTS = ("schema",)


def service_routers() -> list[Router]:
    """The feature routers, then the link routes for owners whose login is one of their first segments."""
    features = [
        webhooks_router,
        topups_router,
        results_router,
        contexts_router,
        operations_router,
        login_router,
        api_router,
        completions_router,
        context_api_router,
        operator_router,
        dashboard.router,
        app_registration_router,
        static_files_router(),
        links_router,
    ]
    return [*features, owner_alias_router([*_first_segments(features), *_BUILT_IN_FIRST_SEGMENTS])]


def _first_segments(routers: Iterable[Router]) -> set[str]:
    """Literal first path segments (`r`, `webhooks`, ...), which would shadow visitor links of that owner."""
    segments = set()
    for router in routers:
        for route in router.routes:
            first = route.path.strip("/").split("/", 1)[0]
            if first and not first.startswith("{"):
                segments.add(first)
    return segments
