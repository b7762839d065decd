"""Dashboard routes: the landing page for everyone, and the owner pages under /dashboard (signed in)."""

from __future__ import annotations

from typing import Annotated

from litestar import Router, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery, QueryParameter
from litestar.response import Redirect, Response
from msgspec import Struct

from app.app_registration.routes import RegistrationOffer
from app.auth.middleware import RESPONSE_COOKIES
from app.auth.viewer import Viewer
from app.db.engine import Sessions
from app.github_source import AppGitHub
from app.guards import ANONYMOUS, logged_in, viewer_account
from app.pages import html_response
from app.settings import Settings
from app.topups.service import create_topup
from app.topups.stripe_api import StripeGateway
from dashboard.billing import billing_page, checkout_origin
from dashboard.keys import KEY_HANDLERS
from dashboard.operator import operator_router
from dashboard.overview import overview
from dashboard.pages import app_install_url, render
from dashboard.repo_routes import ROUTES as REPO_ROUTES

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


_ACCOUNT = QueryParameter(description="The account's GitHub login; default: your own.", max_length=100)


@get("/billing", include_in_schema=False, media_type="text/html")
async def billing(
    viewer: NamedDependency[Viewer],
    sessions: NamedDependency[Sessions],
    stripe: NamedDependency[StripeGateway],
    settings: NamedDependency[Settings],
    account: Annotated[str | None, _ACCOUNT] = None,
    topup: FromQuery[str | None] = None,
) -> Response[str]:
    """Balance, top-up (and where one stands when Stripe sends the owner back), ledger."""
    page = await billing_page(viewer, sessions, stripe, settings, account, topup)
    response = html_response(render("billing.html", title="Billing", page=page), headers=PRIVATE)
    policy = response.headers["content-security-policy"]  # the top-up form's answer redirects to Stripe
    response.headers["content-security-policy"] = policy.replace(
        "form-action 'self'", f"form-action 'self' {checkout_origin(settings)}"
    )
    return response


class TopupForm(Struct):
    amount_usd: str
    csrf_token: str = ""  # checked by the guard (app.auth.viewer.check_csrf)


@post("/billing/topup", include_in_schema=False, status_code=303)
async def billing_topup(
    data: Annotated[TopupForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    viewer: NamedDependency[Viewer],
    sessions: NamedDependency[Sessions],
    stripe: NamedDependency[StripeGateway],
    settings: NamedDependency[Settings],
    account: Annotated[str | None, _ACCOUNT] = None,
) -> Redirect:
    """Off to Stripe's payment page (the form's CSP allows that one redirect target)."""
    async with sessions() as session:
        chosen = await viewer_account(session, viewer, account)
    assert chosen.id is not None
    started = await create_topup(sessions, stripe, settings, account_id=chosen.id, amount_usd=data.amount_usd)
    return Redirect(started.checkout_url, status_code=303, headers=PRIVATE)


owner_router = Router(
    path="/dashboard",
    route_handlers=[dashboard_page, billing, billing_topup, *KEY_HANDLERS, *REPO_ROUTES],
    guards=[logged_in],
    middleware=[RESPONSE_COOKIES],  # a renewed session's cookie, or a dead one's removal
    tags=["dashboard"],
)
router = Router(path="/", route_handlers=[landing, owner_router, operator_router], guards=ANONYMOUS, tags=["dashboard"])
