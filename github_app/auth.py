"""App credentials → githubkit clients: app JWT for app routes, cached installation tokens for the rest."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import httpx
from githubkit import AppAuthStrategy, AppInstallationAuthStrategy, GitHub
from githubkit.auth.app import AppAuth
from githubkit.cache import DEFAULT_CACHE_STRATEGY, BaseCacheStrategy

from github_app.api import InstallationAPI

USER_AGENT = "contextjson-github-app"


@dataclass(frozen=True)
class GitHubAppConfig:
    """Everything needed to act as the App; `api_url` may point at GitHub Enterprise or a local fake."""

    app_id: str
    private_key_pem: str
    api_url: str = "https://api.github.com"
    timeout_seconds: float = 30.0


_ENCODED_HASH_OR_QUESTION = re.compile(rb"%(?:23|3[fF])")


class _PathSafeAppAuth(AppAuth):
    """githubkit's App auth flow, able to authenticate paths that hold an encoded `#` or `?`.

    githubkit decides between the App JWT and the installation token from the request's route, which it
    rebuilds with `httpx.URL(path=url.path)`; `url.path` is decoded, and httpx refuses a path with a `#`
    or `?` in it. So a request for a branch such as `fix#12` (sent as `fix%2312`, a valid git name) failed
    before leaving the process. The route only decides which credential to use, so it is classified here
    on a copy where those two characters are replaced.
    """

    def _get_api_route(self, url: httpx.URL) -> httpx.URL:
        safe = url.copy_with(raw_path=_ENCODED_HASH_OR_QUESTION.sub(b"_", url.raw_path))
        return super()._get_api_route(safe)


@dataclass
class _InstallationStrategy(AppInstallationAuthStrategy):
    """Installation auth that uses `_PathSafeAppAuth`."""

    def get_auth_flow(self, github: Any) -> httpx.Auth:
        return _PathSafeAppAuth(github, self.app_id, self.private_key, installation_id=self.installation_id)


@dataclass
class GitHubApp:
    """Factory of API clients that share one installation-token cache per process."""

    config: GitHubAppConfig
    # githubkit caches installation tokens (until a minute before expiry) in this strategy's storage.
    cache_strategy: BaseCacheStrategy = field(default_factory=lambda: DEFAULT_CACHE_STRATEGY)

    def app_client(self) -> GitHub[AppAuthStrategy]:
        """A client authenticated as the App itself (JWT)."""
        return GitHub(
            AppAuthStrategy(self.config.app_id, self.config.private_key_pem),
            base_url=self.config.api_url,
            user_agent=USER_AGENT,
            timeout=httpx.Timeout(self.config.timeout_seconds),
            cache_strategy=self.cache_strategy,
            http_cache=False,
            auto_retry=True,
        )

    def installation(self, installation_id: int) -> InstallationAPI:
        """Typed API calls as one installation (token fetched on first use and cached)."""
        app = self.app_client()
        strategy = _InstallationStrategy(self.config.app_id, self.config.private_key_pem, installation_id)
        return InstallationAPI(app.with_auth(strategy))

    async def app_page_url(self) -> str:
        """The App's public page on GitHub (`…/apps/<slug>`), from which owners install it."""
        async with self.app_client() as github:
            resp = await github.rest.apps.async_get_authenticated()
        return str(resp.raw_response.json()["html_url"])
