"""First run: GET /setup/github-app offers GitHub's App Manifest flow; its callback stores the new App.

Open to anyone only while the service has no App (no GITHUB_APP_* and nothing registered); afterwards both
routes refuse, so the App is never replaced from the web. The `state` round trip ties the callback to the
browser that started the flow.
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

from litestar import Request, Router, get
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter
from litestar.response import Redirect, Response

from app.app_registration.manifest import CALLBACK_PATH, manifest_json, registration_url
from app.app_registration.service import AlreadyRegistered, RegistrationFailed, complete_registration
from app.db.engine import Sessions
from app.errors import BadRequest
from app.github_source import AppGitHub
from app.guards import ANONYMOUS
from app.pages import html_response, render
from app.settings import Settings

STATE_COOKIE = "contextjson_app_setup"
SETUP_PATH = "/setup/github-app"
_STATE_MAX_AGE = 3600  # GitHub's manifest codes expire after an hour too
_APP_NAME_MAX = 34  # GitHub's limit on App names
_ORGANIZATION = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?")


@get("/", include_in_schema=False, media_type="text/html")
async def start_registration(
    github: NamedDependency[AppGitHub], settings: NamedDependency[Settings], org: FromQuery[str | None] = None
) -> Response[str]:
    """The register button (for the user, or `org`), with a fresh state cookie."""
    if await github.ready():
        raise AlreadyRegistered("This service already has a GitHub App; it is not replaced from the web.")
    if org is not None and not _ORGANIZATION.fullmatch(org):
        raise BadRequest(f'"{org[:60]}" is not a GitHub organisation name.', code="app_registration.organization")
    offer = RegistrationOffer.new(settings, org)
    page = render("setup_app.html", title="Set up the GitHub App", **offer.template_values)
    return offer.attach(html_response(page))


@get("/callback", include_in_schema=False, media_type="text/html")
async def finish_registration(
    request: Request,
    github: NamedDependency[AppGitHub],
    settings: NamedDependency[Settings],
    sessions: NamedDependency[Sessions],
    code: FromQuery[str],
    returned_state: Annotated[str, QueryParameter(name="state")],
) -> Response[str]:
    """GitHub sends the browser back here with a one-time code: store the App, continue to its install page."""
    expected = request.cookies.get(STATE_COOKIE, "")
    if not expected or not hmac.compare_digest(expected.encode(), returned_state.encode()):
        raise RegistrationFailed(
            "This registration was not started in this browser, or it is more than an hour old. Start again from /."
        )
    credentials = await complete_registration(
        sessions, api_url=settings.github_api_url, code=code, secret_key=settings.secret_key
    )
    github.use_registration(credentials)
    install = f"{credentials.html_url}/installations/new"
    response: Response[str] = Redirect(install, status_code=303)
    response.delete_cookie(STATE_COOKIE, path=SETUP_PATH)
    return response


@dataclass(frozen=True)
class RegistrationOffer:
    """The register form of one page view (templates/register_app.html) and the state it is tied to."""

    settings: Settings
    state: str
    organization: str | None

    @classmethod
    def new(cls, settings: Settings, organization: str | None = None) -> RegistrationOffer:
        return cls(settings, secrets.token_urlsafe(24), organization or None)

    @property
    def template_values(self) -> dict[str, str | None]:
        """Where the form goes and the manifest it carries."""
        host = urlsplit(self.settings.public_base).hostname or "local"
        name = f"contextjson {host}"[:_APP_NAME_MAX].strip()
        return {
            "action": registration_url(self.settings.github_web_base, self.state, self.organization),
            "manifest": manifest_json(self.settings.public_base, name),
            "organization": self.organization,
        }

    def attach(self, response: Response[str]) -> Response[str]:
        """The page's state cookie, and a CSP that lets its form post to GitHub (and nowhere else)."""
        web = self.settings.github_web_base
        policy = response.headers["content-security-policy"]  # html_response's, with this page's nonce
        response.headers["content-security-policy"] = policy.replace("form-action 'self'", f"form-action 'self' {web}")
        response.set_cookie(
            Cookie(
                key=STATE_COOKIE,
                value=self.state,
                path=SETUP_PATH,
                max_age=_STATE_MAX_AGE,
                httponly=True,
                samesite="lax",  # sent on GitHub's top-level redirect back to the callback
                secure=self.settings.public_base.startswith("https://"),
            )
        )
        return response


assert f"{SETUP_PATH}/callback" == CALLBACK_PATH  # the manifest's redirect_url is this router's callback

router = Router(
    path=SETUP_PATH,
    route_handlers=[start_registration, finish_registration],
    guards=ANONYMOUS,
    tags=["setup"],
)
