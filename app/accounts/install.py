"""Where an owner installs the App: its page on GitHub, from its known name or asked once per process."""

from __future__ import annotations

import logging

from app.github_source import AppGitHub
from app.settings import Settings
from github_app.web import app_install_url

log = logging.getLogger("contextjson.accounts")

_install_urls: dict[tuple[str, str], str] = {}


async def install_url(settings: Settings, github: AppGitHub) -> str | None:
    """`…/apps/<slug>/installations/new`, or None when the App is not configured or GitHub cannot say."""
    credentials = github.credentials
    if credentials is None:
        return None
    slug = settings.github_app_slug or credentials.slug  # GITHUB_APP_SLUG, or the App registered from the web
    if slug:
        return app_install_url(settings.github_web_base, slug)
    key = (settings.github_api_url, credentials.app_id)
    if key not in _install_urls:
        try:
            page = await github.app().app_page_url()
        except Exception as exc:  # a page without the link is better than no page: asked again next time
            log.warning("github.app_page_failed error=%s", type(exc).__name__)
            return None
        _install_urls[key] = f"{page.rstrip('/')}/installations/new"
    return _install_urls[key]
