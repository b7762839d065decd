"""The last step of GitHub's App Manifest flow: trade the one-time code for the new App's credentials."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from githubkit import GitHub
from githubkit.exception import RequestFailed

from github_app.api import segment
from github_app.auth import USER_AGENT


@dataclass(frozen=True)
class RegisteredApp:
    """What GitHub answers once, for the App it just created (secrets included)."""

    app_id: str
    slug: str
    html_url: str
    pem: str
    webhook_secret: str | None
    client_id: str | None
    client_secret: str | None


class ManifestCodeRejected(Exception):
    """GitHub did not accept the code (expired after an hour, already used, or not a manifest code)."""


async def convert_manifest_code(api_url: str, code: str, timeout_seconds: float = 30.0) -> RegisteredApp:
    """POST /app-manifests/{code}/conversions (no authentication: the code is the credential)."""
    async with GitHub(base_url=api_url, user_agent=USER_AGENT, timeout=httpx.Timeout(timeout_seconds)) as gh:
        try:
            resp = await gh.arequest("POST", f"/app-manifests/{segment(code)}/conversions")
        except RequestFailed as exc:
            if exc.response.status_code in (404, 422):
                raise ManifestCodeRejected(f"GitHub answered {exc.response.status_code}") from exc
            raise
    data: dict[str, Any] = resp.json()
    return RegisteredApp(
        app_id=str(data["id"]),
        slug=str(data["slug"]),
        html_url=str(data["html_url"]),
        pem=str(data["pem"]),
        webhook_secret=data.get("webhook_secret"),
        client_id=data.get("client_id"),
        client_secret=data.get("client_secret"),
    )
