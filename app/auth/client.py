"""The OAuth client for this service's settings; a clear 503 when GITHUB_CLIENT_ID/SECRET are not set."""

from __future__ import annotations

from functools import lru_cache

from app.auth.errors import LoginNotConfigured
from app.github_source import AppGitHub
from app.settings import Settings
from github_app.oauth import GitHubOAuth, OAuthConfig


def oauth_client(settings: Settings, github: AppGitHub) -> GitHubOAuth:
    """The App's OAuth web flow on GitHub's web host (github.com, GitHub Enterprise or a local fake).

    The credentials are GITHUB_CLIENT_ID/SECRET, else those of the App registered from the home page.
    """
    credentials = github.credentials
    client_id = settings.github_client_id or (credentials.client_id if credentials else None)
    client_secret = settings.github_client_secret or (credentials.client_secret if credentials else None)
    found = {"github_client_id": client_id, "github_client_secret": client_secret}
    missing = [name for name, value in found.items() if not value]
    if missing:
        raise LoginNotConfigured(
            f"Login with GitHub needs {' and '.join(name.upper() for name in missing)}: set them to the GitHub "
            "App's Client ID and a client secret (the App's settings page, 'Generate a new client secret'). "
            "No GitHub App yet? Register one from this service's home page (/): its credentials, these included, "
            "are then stored for you.",
            links=[("Register the GitHub App", "/")],
        )
    return _client(client_id or "", client_secret or "", settings.github_api_url)


@lru_cache(maxsize=8)
def _client(client_id: str, client_secret: str, api_url: str) -> GitHubOAuth:
    return GitHubOAuth(OAuthConfig(client_id=client_id, client_secret=client_secret, api_url=api_url))


def callback_url(settings: Settings) -> str:
    """Where GitHub sends the browser back (the App's "Callback URL" must be this)."""
    return f"{settings.public_base}/login/callback"
