"""Where an owner installs the App: its page on GitHub, asked for once per process (it never changes)."""

from __future__ import annotations

import logging

from app.runtime import github_app_config
from app.settings import Settings
from github_app import GitHubApp

log = logging.getLogger("contextjson.accounts")

_install_urls: dict[tuple[str, str], str] = {}


async def install_url(settings: Settings) -> str | None:
    """`…/apps/<slug>/installations/new`, or None when the App is not configured or GitHub cannot say."""
    config = github_app_config(settings)
    if config is None:
        return None
    key = (config.api_url, config.app_id)
    if key not in _install_urls:
        try:
            page = await GitHubApp(config).app_page_url()
        except Exception as exc:  # a page without the link is better than no page: asked again next time
            log.warning("github.app_page_failed error=%s", type(exc).__name__)
            return None
        _install_urls[key] = f"{page.rstrip('/')}/installations/new"
    return _install_urls[key]
