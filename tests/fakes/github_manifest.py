"""The fake GitHub's App Manifest flow: the web form that creates an App, and the code conversion API.

GitHub shows the manifest's App for confirmation before creating it; the fake confirms at once and sends the
browser back to the manifest's `redirect_url` with a one-time code, as GitHub does after the user clicks.
The App it "creates" is the fake's own (its id and key), so the service can act as it afterwards.
"""

from __future__ import annotations

import html
import json
import secrets
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode

from tests.fakes.github_http import ApiError, Request, Response, json_response
from tests.fakes.github_routes import router

if TYPE_CHECKING:
    from tests.fakes.github import FakeGitHub


@router.route("POST", r"/settings/apps/new")
def new_app(gh: FakeGitHub, req: Request) -> Response:
    return _new_app(gh, req, None)


@router.route("POST", r"/organizations/([^/]+)/settings/apps/new")
def new_organization_app(gh: FakeGitHub, req: Request, organization: str) -> Response:
    return _new_app(gh, req, organization)


def _new_app(gh: FakeGitHub, req: Request, organization: str | None) -> Response:
    form = dict(parse_qsl(req.body.decode(), keep_blank_values=True))
    try:
        manifest = json.loads(form["manifest"])
        redirect_url = manifest["redirect_url"]
    except (KeyError, ValueError):
        return Response(422, b"Invalid GitHub App configuration", {"content-type": "text/plain"})
    code = secrets.token_hex(10)
    gh.manifest_codes[code] = manifest
    gh.manifests.append({"organization": organization, "state": req.query.get("state"), "manifest": manifest})
    query = urlencode({"code": code, "state": req.query.get("state", "")})
    return Response(302, b"", {"location": f"{redirect_url}?{query}"})


@router.route("POST", r"/app-manifests/([^/]+)/conversions")
def convert(gh: FakeGitHub, req: Request, code: str) -> Response:
    manifest = gh.manifest_codes.pop(code, None)  # one use only, as on GitHub
    if manifest is None:
        raise ApiError(404, "Not Found")
    gh.registered_webhook_secret = secrets.token_hex(20)
    return json_response(
        {
            "id": gh.app_id,
            "slug": gh.app_slug,
            "name": manifest.get("name"),
            "owner": {"login": gh.app_owner.login, "type": gh.app_owner.type},
            "html_url": f"{gh.url}/apps/{gh.app_slug}",
            "permissions": manifest.get("default_permissions", {}),
            "events": manifest.get("default_events", []),
            "client_id": f"Iv1.{secrets.token_hex(8)}",
            "client_secret": secrets.token_hex(20),
            "webhook_secret": gh.registered_webhook_secret,
            "pem": gh.private_key_pem,
        },
        201,
    )


@router.route("GET", r"/apps/([^/]+)/installations/new")
def install_page(gh: FakeGitHub, req: Request, slug: str) -> Response:
    page = f"<!doctype html><title>Install {html.escape(slug)}</title><h1>Install {html.escape(slug)}</h1>"
    return Response(200, page.encode(), {"content-type": "text/html; charset=utf-8"})
