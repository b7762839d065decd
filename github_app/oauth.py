"""Login with GitHub: the OAuth web flow (authlib) on GitHub's web host, and the calls made as the user.

The web host is derived from the API URL, so github.com, GitHub Enterprise Server (`…/api/v3`), GHE.com
(`api.SUBDOMAIN.ghe.com`) and a loopback fake all work. A GitHub App's user tokens may expire (8 hours by
default) and come with a refresh token; authlib refreshes them on use and `on_refresh` is told, so the
caller can store the new pair (GitHub rotates the refresh token on every use).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from authlib.integrations.base_client import InvalidTokenError, OAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client

from github_app.api import segment
from github_app.web import web_url

try:  # the HTTP library authlib's client is built on: httpx2 when installed, else httpx
    import httpx2 as _http
except ImportError:  # pragma: no cover - depends on what is installed
    import httpx as _http  # type: ignore[no-redef]

USER_AGENT = "contextjson-login"
_API_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
_MAX_PAGES = 10  # 1,000 installations is more than any one person reaches

Token = dict[str, Any]
OnRefresh = Callable[[Token], Awaitable[None]]


class OAuthFailed(Exception):
    """GitHub refused the exchange or a call, or could not be reached; `error` is GitHub's code when it gave one."""

    def __init__(self, error: str, description: str = ""):
        super().__init__(f"{error}: {description}" if description else error)
        self.error, self.description = error, description


class TokenRejected(OAuthFailed):
    """GitHub no longer accepts the user's token (the user revoked the App, or its refresh token expired)."""


@dataclass(frozen=True)
class OAuthConfig:
    """The App's OAuth credentials and where GitHub's API is."""

    client_id: str
    client_secret: str
    api_url: str = "https://api.github.com"
    timeout_seconds: float = 15.0


@dataclass(frozen=True)
class GitHubUser:
    id: int
    login: str


@dataclass(frozen=True)
class UserInstallation:
    """An installation of the App that GitHub lists for the user, with the account it is installed on."""

    id: int
    account_id: int
    account_login: str
    account_type: str  # "User" or "Organization"


class GitHubOAuth:
    """The OAuth web flow and the few calls made with a user's token."""

    def __init__(self, config: OAuthConfig):
        self.config = config
        self.web = web_url(config.api_url)
        self.api = config.api_url.rstrip("/")
        self.token_url = f"{self.web}/login/oauth/access_token"

    def _client(self, token: Token | None = None, on_refresh: OnRefresh | None = None) -> AsyncOAuth2Client:
        async def update_token(new: Token, refresh_token: str | None = None, access_token: str | None = None) -> None:
            if on_refresh is not None:
                await on_refresh(dict(new))

        return AsyncOAuth2Client(
            client_id=self.config.client_id,
            client_secret=self.config.client_secret,
            token_endpoint_auth_method="client_secret_post",  # how GitHub documents it
            token=token,
            update_token=update_token,
            token_endpoint=self.token_url,
            timeout=self.config.timeout_seconds,
            headers={"User-Agent": USER_AGENT},
        )

    def authorize_url(self, redirect_uri: str, state: str) -> str:
        """Where to send the browser to ask the user (no scopes: a GitHub App's token has the App's permissions)."""
        url, _ = self._client().create_authorization_url(
            f"{self.web}/login/oauth/authorize", state=state, redirect_uri=redirect_uri, allow_signup="true"
        )
        return str(url)

    async def exchange_code(self, code: str, redirect_uri: str) -> Token:
        """The user's token for the code GitHub sent back to the callback."""
        async with self._client() as client:
            try:
                token = await client.fetch_token(self.token_url, code=code, redirect_uri=redirect_uri)
            except OAuthError as exc:
                raise OAuthFailed(exc.error or "oauth_error", exc.description or "") from exc
            except (_http.HTTPError, ValueError) as exc:
                raise OAuthFailed("unreachable", f"GitHub's token endpoint failed: {type(exc).__name__}") from exc
        return dict(token)

    def as_user(self, token: Token, on_refresh: OnRefresh | None = None) -> UserAPI:
        """Calls made with the user's token (one client, so a refreshed token is used by the calls after it)."""
        return UserAPI(self._client(token, on_refresh), self.api)


class UserAPI:
    """The GitHub REST calls made as a signed-in user; use as `async with`."""

    def __init__(self, client: AsyncOAuth2Client, api: str):
        self._client = client
        self._api = api

    async def __aenter__(self) -> UserAPI:
        await self._client.__aenter__()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self._client.__aexit__(*exc)

    async def user(self) -> GitHubUser:
        """Who the token belongs to (GET /user)."""
        data = await self._get("/user")
        return GitHubUser(id=int(data["id"]), login=str(data["login"]))

    async def installations(self) -> list[UserInstallation]:
        """The App's installations GitHub lists for the user (GET /user/installations, every page)."""
        found: list[UserInstallation] = []
        for page in range(1, _MAX_PAGES + 1):
            data = await self._get(f"/user/installations?per_page=100&page={page}")
            items = data.get("installations") or []
            found.extend(
                UserInstallation(
                    id=int(item["id"]),
                    account_id=int(item["account"]["id"]),
                    account_login=str(item["account"]["login"]),
                    account_type=str(item["account"].get("type") or "User"),
                )
                for item in items
            )
            if len(items) < 100 or len(found) >= int(data.get("total_count") or 0):
                break
        return found

    async def is_org_admin(self, org: str) -> bool:
        """Whether the user is an active admin of `org` (needs the App's Members: read organization permission)."""
        try:
            data = await self._get(f"/user/memberships/orgs/{segment(org)}")
        except OAuthFailed as exc:
            if exc.error in ("http_403", "http_404"):
                return False  # not a member, or the App may not read memberships
            raise
        return data.get("state") == "active" and data.get("role") == "admin"

    async def can_read_repository(self, owner: str, name: str, repo_id: int) -> bool:
        """Whether the user may read the repository with GitHub id `repo_id`, now known as owner/name.

        GET /repos/{owner}/{repo} with the user's token: GitHub documents that a GitHub App's user access
        token reaches only what both the user and the App's installation can reach, and answers 404 (403
        for some policies) for anything else. A 301 (renamed, our name is stale) or another id counts as no.
        """
        try:
            data = await self._get(f"/repos/{segment(owner)}/{segment(name)}")
        except OAuthFailed as exc:
            if exc.error in ("http_301", "http_403", "http_404"):
                return False
            raise
        permissions = data.get("permissions")
        may_pull = permissions.get("pull", True) if isinstance(permissions, dict) else True
        return data.get("id") == repo_id and bool(may_pull)

    async def _get(self, path: str) -> dict[str, Any]:
        try:
            resp = await self._client.get(self._api + path, headers=_API_HEADERS)
        except InvalidTokenError as exc:  # expired, and no refresh token to renew it with
            raise TokenRejected("token_expired") from exc
        except OAuthError as exc:  # the refresh was refused
            raise TokenRejected(exc.error or "bad_refresh_token", exc.description or "") from exc
        except _http.HTTPError as exc:
            raise OAuthFailed("unreachable", f"GitHub could not be reached: {type(exc).__name__}") from exc
        if resp.status_code == 401:
            raise TokenRejected("bad_credentials", "GitHub answered 401 for the user's token")
        if resp.status_code != 200:
            raise OAuthFailed(f"http_{resp.status_code}", f"GET {path.split('?')[0]} answered {resp.status_code}")
        body = resp.json()
        return body if isinstance(body, dict) else {}
