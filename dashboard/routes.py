"""Dashboard routes. For now the landing page; owner pages arrive with login and billing."""

from __future__ import annotations

from litestar import Router, get
from litestar.di import NamedDependency
from litestar.response import Response

from app.app_registration.routes import RegistrationOffer
from app.github_source import AppGitHub
from app.guards import ANONYMOUS
from app.pages import html_response
from app.settings import Settings
from dashboard.pages import app_install_url, render


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


# Owner pages (login, usage, budget) come with their own guard on routes of this router.
router = Router(path="/", route_handlers=[landing], guards=ANONYMOUS, tags=["dashboard"])
