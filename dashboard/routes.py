"""Dashboard routes: the landing page for everyone, and the owner pages under /dashboard (signed in)."""

from __future__ import annotations

from litestar import Router, get
from litestar.di import NamedDependency
from litestar.response import Response

from app.app_registration.routes import RegistrationOffer
from app.auth.middleware import RESPONSE_COOKIES
from app.auth.viewer import Viewer
from app.db.engine import Sessions
from app.github_source import AppGitHub
from app.guards import ANONYMOUS, logged_in
from app.pages import html_response
from app.settings import Settings
from dashboard.overview import overview
from dashboard.pages import app_install_url, render

# Owner pages show one person's figures: never kept by a shared cache, nor by the browser's back button cache.
PRIVATE = {"Cache-Control": "private, no-store"}


@get("/", include_in_schema=False, media_type="text/html")
async def landing(settings: NamedDependency[Settings], github: NamedDependency[AppGitHub]) -> Response[str]:
    """What this service is and how to use it (never a blank page); on first run, the App registration offer."""
    values = {"title": "contextjson", "base": settings.public_base}
    if await github.ready():
        install = app_install_url(settings, github.credentials.slug if github.credentials else None)
        return html_response(render("landing.html", **values, app_install_url=install, registration=False))
    offer = RegistrationOffer.new(settings)
    page = render("landing.html", **values, app_install_url=None, registration=True, **offer.template_values)
    return offer.attach(html_response(page))


@get("/", include_in_schema=False, media_type="text/html")
async def dashboard_page(
    viewer: NamedDependency[Viewer],
    sessions: NamedDependency[Sessions],
    settings: NamedDependency[Settings],
    github: NamedDependency[AppGitHub],
) -> Response[str]:
    """The accounts the viewer may reach, with their balance (or how to install the App)."""
    page = await overview(viewer, sessions, settings, github)
    return html_response(render("dashboard.html", title="Dashboard", page=page), headers=PRIVATE)


owner_router = Router(
    path="/dashboard",
    route_handlers=[dashboard_page],
    guards=[logged_in],
    middleware=[RESPONSE_COOKIES],  # a renewed session's cookie, or a dead one's removal
    tags=["dashboard"],
)
router = Router(path="/", route_handlers=[landing, owner_router], guards=ANONYMOUS, tags=["dashboard"])
