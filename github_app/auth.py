"""App credentials → githubkit clients: app JWT for app routes, cached installation tokens for the rest."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
from githubkit import AppAuthStrategy, GitHub
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
        client = app.with_auth(app.auth.as_installation(installation_id))
        return InstallationAPI(client)
