"""The GitHub App as this process knows it: from the environment, else as registered through the manifest flow.

Services are handed this object rather than a GitHubApp, so a service started without App credentials
(a newcomer's first run) still starts, and only the calls that need GitHub answer with a clear 503. Once the
App is registered (app.app_registration), `ready()` picks up the stored credentials in every process.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from app.errors import AppError
from app.settings import Settings
from github_app import GitHubApp, GitHubAppConfig, InstallationAPI

RELOAD_INTERVAL_SECONDS = 5.0  # how often an unconfigured process looks for a registration again


class GitHubAppNotConfigured(AppError):
    status_code = 503
    code = "github.not_configured"
    title = "The GitHub App is not configured"


@dataclass(frozen=True)
class AppCredentials:
    """Everything that identifies the App (plain text, in memory only)."""

    app_id: str
    private_key_pem: str
    webhook_secret: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    slug: str | None = None
    html_url: str | None = None


CredentialsLoader = Callable[[], Awaitable[AppCredentials | None]]


class AppGitHub:
    """Installation API clients of the configured App (GitHubApp's interface, credentials checked on use)."""

    def __init__(self, settings: Settings, load_registration: CredentialsLoader | None = None):
        self._settings = settings
        self._load_registration = load_registration
        self._registered: AppCredentials | None = None
        self._loaded_at = float("-inf")
        self._app: GitHubApp | None = None

    @property
    def credentials(self) -> AppCredentials | None:
        """The App: GITHUB_APP_ID and its key when set, else the stored registration; each secret set in the
        environment wins over the stored one (which is used only for the same App)."""
        settings, stored = self._settings, self._registered
        pem = settings.github_private_key_pem()
        if settings.github_app_id and pem:
            same = stored if stored is not None and stored.app_id == settings.github_app_id else None
            base = same or AppCredentials(app_id=settings.github_app_id, private_key_pem=pem)
            base = replace(base, private_key_pem=pem)
        elif stored is not None:
            base = stored
        else:
            return None
        return replace(
            base,
            webhook_secret=settings.github_webhook_secret or base.webhook_secret,
            client_id=settings.github_client_id or base.client_id,
            client_secret=settings.github_client_secret or base.client_secret,
        )

    @property
    def configured(self) -> bool:
        return self.credentials is not None

    @property
    def webhook_secret(self) -> str | None:
        credentials = self.credentials
        return credentials.webhook_secret if credentials else self._settings.github_webhook_secret

    async def ready(self) -> bool:
        """Whether the App is configured, looking for a registration again (at most every few seconds) if not."""
        if self.configured or self._load_registration is None:
            return self.configured
        if time.monotonic() - self._loaded_at >= RELOAD_INTERVAL_SECONDS:
            self._loaded_at = time.monotonic()
            self.use_registration(await self._load_registration())
        return self.configured

    def use_registration(self, registered: AppCredentials | None) -> None:
        """Take a registration (just made here, or read from the database)."""
        self._registered = registered
        self._app = None

    def app(self) -> GitHubApp:
        """The App client factory; GitHubAppNotConfigured when there are no credentials."""
        if self._app is None:
            credentials = self.credentials
            if credentials is None:
                raise GitHubAppNotConfigured(
                    "Set GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY, or register the App from this service's home page."
                )
            config = GitHubAppConfig(
                app_id=credentials.app_id,
                private_key_pem=credentials.private_key_pem,
                api_url=self._settings.github_api_url,
            )
            self._app = GitHubApp(config)
        return self._app

    def installation(self, installation_id: int) -> InstallationAPI:
        """Typed API calls as one installation (see GitHubApp.installation)."""
        return self.app().installation(installation_id)
