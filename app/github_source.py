"""The GitHub App as this process knows it: built from the settings on first use.

Services are handed this object rather than a GitHubApp, so a service started without App credentials
(a newcomer's first run) still starts, and only the calls that need GitHub answer with a clear 503.
"""

from __future__ import annotations

from app.errors import AppError
from app.settings import Settings
from github_app import GitHubApp, GitHubAppConfig, InstallationAPI


class GitHubAppNotConfigured(AppError):
    status_code = 503
    code = "github.not_configured"
    title = "The GitHub App is not configured"


class AppGitHub:
    """Installation API clients of the configured App (GitHubApp's interface, credentials checked on use)."""

    def __init__(self, settings: Settings):
        self._settings = settings
        self._app: GitHubApp | None = None

    @property
    def configured(self) -> bool:
        return bool(self._settings.github_app_id and self._settings.github_private_key_pem())

    def app(self) -> GitHubApp:
        """The App client factory; GitHubAppNotConfigured when its credentials are missing."""
        if self._app is None:
            pem = self._settings.github_private_key_pem()
            if not self._settings.github_app_id or not pem:
                raise GitHubAppNotConfigured("GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY must be set")
            config = GitHubAppConfig(
                app_id=self._settings.github_app_id, private_key_pem=pem, api_url=self._settings.github_api_url
            )
            self._app = GitHubApp(config)
        return self._app

    def installation(self, installation_id: int) -> InstallationAPI:
        """Typed API calls as one installation (see GitHubApp.installation)."""
        return self.app().installation(installation_id)
