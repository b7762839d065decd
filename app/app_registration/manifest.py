"""The GitHub App manifest this service registers itself with (GitHub's App Manifest flow).

The permissions and events are those the README's "Registering the GitHub App" lists; a test holds them equal.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode

PERMISSIONS = {"contents": "read", "checks": "write", "metadata": "read", "members": "read"}
# installation, installation_repositories and installation_target are sent to every App without subscribing.
EVENTS = ["push", "repository"]
CALLBACK_PATH = "/setup/github-app/callback"
LOGIN_CALLBACK_PATH = "/login/callback"


def build_manifest(public_base: str, name: str) -> dict[str, Any]:
    """The manifest for an App whose webhooks, OAuth login and setup all point at `public_base`."""
    return {
        "name": name,
        "url": public_base,
        "description": "LLM answers about a repository, paid for by its owner (contextjson).",
        "hook_attributes": {"url": f"{public_base}/webhooks/github", "active": True},
        "redirect_url": f"{public_base}{CALLBACK_PATH}",
        "callback_urls": [f"{public_base}{LOGIN_CALLBACK_PATH}"],
        "setup_url": f"{public_base}/dashboard",
        "setup_on_update": False,
        "request_oauth_on_install": False,  # owners log in through /login, which asks for authorization
        "public": True,
        "default_permissions": dict(PERMISSIONS),
        "default_events": list(EVENTS),
    }


def manifest_json(public_base: str, name: str) -> str:
    return json.dumps(build_manifest(public_base, name), separators=(",", ":"))


def registration_url(web_base: str, state: str, organization: str | None = None) -> str:
    """Where the manifest form is posted: the user's own settings, or an organisation's."""
    where = f"/organizations/{quote(organization, safe='')}" if organization else ""
    return f"{web_base}{where}/settings/apps/new?{urlencode({'state': state})}"
