"""The fake GitHub's OAuth web flow and user-token endpoints (Login with GitHub).

`GET /login/oauth/authorize` answers at once, as if the user clicked "Authorize" (or "Cancel"), by
redirecting to the redirect_uri with a code (or `error=access_denied`) and the state. `POST
/login/oauth/access_token` trades a code or a refresh token for a user token; `/user`,
`/user/installations` and `/user/memberships/orgs/{org}` answer for that token, and so does
`GET /repos/{owner}/{repo}` (`user_repository`): as GitHub documents for a GitHub App's user token, it
reaches a private repository only when both the user (its owner, a member of its organisation, or a
collaborator) and an installation of the App do.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from tests.fakes import github_json as J
from tests.fakes.github_http import ApiError, Request, Response, Router, json_response
from tests.fakes.github_state import now

if TYPE_CHECKING:
    from tests.fakes.github import FakeGitHub

oauth_router = Router()


@dataclass
class UserToken:
    login: str
    expires_at: datetime | None
    refresh_token: str | None


@dataclass
class FakeOAuth:
    """OAuth state: the App's client credentials, who signs in next, issued codes and user tokens."""

    lock: threading.RLock
    client_id: str = field(default_factory=lambda: "Iv1.fake" + secrets.token_hex(6))
    client_secret: str = field(default_factory=lambda: secrets.token_hex(20))
    # Who "clicks Authorize" on the next visits to /login/oauth/authorize; None: the user cancels.
    signed_in: str | None = None
    # Set: user tokens expire after this long and come with a refresh token (a GitHub App's default).
    token_lifetime: timedelta | None = None
    codes: dict[str, tuple[str, str]] = field(default_factory=dict)  # code → (login, redirect_uri)
    tokens: dict[str, UserToken] = field(default_factory=dict)
    refresh_tokens: dict[str, str] = field(default_factory=dict)  # refresh token → login
    memberships: dict[tuple[str, str], str] = field(default_factory=dict)  # (org, login) lowercased → role
    listed: dict[str, set[int]] = field(default_factory=dict)  # login → installations also listed for them
    # repository id → {login (lower-case) → "read" | "write" | "admin"}: outside collaborators.
    collaborators: dict[int, dict[str, str]] = field(default_factory=dict)

    def sign_in_as(self, login: str | None) -> None:
        """The next authorizations are approved by `login` (None: cancelled, `error=access_denied`)."""
        self.signed_in = login

    def add_member(self, org: str, login: str, role: str = "member") -> None:
        """Make `login` a member of `org` with `role` ("admin" or "member")."""
        self.memberships[(org.lower(), login.lower())] = role

    def list_installation_for(self, login: str, installation_id: int) -> None:
        """GitHub also lists this installation for `login` (a collaborator on one of its repositories)."""
        self.listed.setdefault(login.lower(), set()).add(installation_id)

    def add_collaborator(self, repo: Any, login: str, permission: str = "read") -> None:
        """`login` may read (or write, or administer) the repository, as an invited collaborator."""
        with self.lock:
            self.collaborators.setdefault(repo.id, {})[login.lower()] = permission

    def remove_collaborator(self, repo: Any, login: str) -> None:
        """`login` is no longer a collaborator on the repository."""
        with self.lock:
            self.collaborators.get(repo.id, {}).pop(login.lower(), None)

    def revoke(self, login: str) -> None:
        """The user revoked the App: their tokens and refresh tokens stop working."""
        with self.lock:
            self.tokens = {t: v for t, v in self.tokens.items() if v.login.lower() != login.lower()}
            self.refresh_tokens = {t: u for t, u in self.refresh_tokens.items() if u.lower() != login.lower()}

    def issue(self, login: str) -> dict[str, Any]:
        """A new user token (and refresh token when tokens expire), as the token endpoint returns it."""
        token = "ghu_" + secrets.token_hex(18)
        body: dict[str, Any] = {"access_token": token, "token_type": "bearer", "scope": ""}
        refresh = None
        if self.token_lifetime is not None:
            refresh = "ghr_" + secrets.token_hex(30)
            self.refresh_tokens[refresh] = login
            body |= {"expires_in": int(self.token_lifetime.total_seconds()), "refresh_token": refresh}
            body |= {"refresh_token_expires_in": 15_811_200}
        expires = now() + self.token_lifetime if self.token_lifetime is not None else None
        self.tokens[token] = UserToken(login, expires, refresh)
        return body


def _form(req: Request) -> dict[str, str]:
    return dict(parse_qsl(req.body.decode(), keep_blank_values=True))


def _redirect(location: str) -> Response:
    return Response(302, b"", {"location": location})


@oauth_router.route("GET", r"/login/oauth/authorize")
def authorize(gh: FakeGitHub, req: Request) -> Response:
    query = req.query
    if query.get("client_id") != gh.oauth.client_id:
        return Response(404, b"Not Found", {"content-type": "text/plain"})
    redirect_uri = query.get("redirect_uri", "")
    if urlsplit(redirect_uri).scheme not in ("http", "https"):
        return Response(400, b"The redirect_uri is not valid", {"content-type": "text/plain"})
    state = {"state": query["state"]} if "state" in query else {}
    login = gh.oauth.signed_in
    if login is None:
        denied = {"error": "access_denied", "error_description": "The user has denied your application access."}
        return _redirect(f"{redirect_uri}?{urlencode({**denied, **state})}")
    code = secrets.token_hex(10)
    gh.oauth.codes[code] = (login, redirect_uri)
    return _redirect(f"{redirect_uri}?{urlencode({'code': code, **state})}")


@oauth_router.route("POST", r"/login/oauth/access_token")
def access_token(gh: FakeGitHub, req: Request) -> Response:
    form = _form(req)
    oauth = gh.oauth
    if form.get("client_id") != oauth.client_id or form.get("client_secret") != oauth.client_secret:
        return _token_answer(req, {"error": "incorrect_client_credentials"})
    if form.get("grant_type") == "refresh_token":
        login = oauth.refresh_tokens.pop(form.get("refresh_token", ""), None)  # rotated: each one works once
        return _token_answer(req, oauth.issue(login) if login else {"error": "bad_refresh_token"})
    login, redirect_uri = oauth.codes.pop(form.get("code", ""), (None, None))
    if login is None or form.get("redirect_uri", redirect_uri) != redirect_uri:
        return _token_answer(req, {"error": "bad_verification_code"})
    return _token_answer(req, oauth.issue(login))


def _token_answer(req: Request, body: dict[str, Any]) -> Response:
    """GitHub answers 200 even for errors, as JSON when asked for it and form-encoded otherwise."""
    if "application/json" in req.headers.get("accept", ""):
        return json_response(body)
    return Response(200, urlencode(body).encode(), {"content-type": "application/x-www-form-urlencoded"})


def require_user(gh: FakeGitHub, req: Request) -> str:
    """The login of the live user token the request carries, or 401."""
    scheme, _, value = req.headers.get("authorization", "").partition(" ")
    issued = gh.oauth.tokens.get(value.strip()) if scheme.lower() in ("bearer", "token") else None
    if issued is None or (issued.expires_at is not None and issued.expires_at <= now()):
        raise ApiError(401, "Bad credentials")
    return issued.login


@oauth_router.route("GET", r"/user")
def get_user(gh: FakeGitHub, req: Request) -> Response:
    login = require_user(gh, req)
    return json_response({**J.user(gh.url, gh.url, gh.account(login)), "name": login.title()})


@oauth_router.route("GET", r"/user/installations")
def user_installations(gh: FakeGitHub, req: Request) -> Response:
    login = require_user(gh, req).lower()
    oauth = gh.oauth
    visible = [
        i
        for i in sorted(gh.installations.values(), key=lambda i: i.id)
        if i.account.login.lower() == login
        or (i.account.type == "Organization" and (i.account.login.lower(), login) in oauth.memberships)
        or i.id in oauth.listed.get(login, set())
    ]
    per_page = max(1, min(100, int(req.query.get("per_page") or 30)))
    page = max(1, int(req.query.get("page") or 1))
    items = visible[(page - 1) * per_page : page * per_page]
    body = {"total_count": len(visible), "installations": [_installation(gh, i) for i in items]}
    return json_response(body)


@oauth_router.route("GET", r"/user/memberships/orgs/([^/]+)")
def org_membership(gh: FakeGitHub, req: Request, org: str) -> Response:
    login = require_user(gh, req)
    role = gh.oauth.memberships.get((org.lower(), login.lower()))
    if role is None:
        raise ApiError(404, "Not Found")
    account = gh.account(org)
    body = {
        "url": f"{gh.url}/orgs/{account.login}/memberships/{login}",
        "state": "active",
        "role": role,
        "organization_url": f"{gh.url}/orgs/{account.login}",
        "organization": {"login": account.login, "id": account.id},
        "user": J.user(gh.url, gh.url, gh.account(login)),
    }
    return json_response(body)


def is_user_token(gh: FakeGitHub, req: Request) -> bool:
    """Whether the request carries a user token (issued by this OAuth flow, live or not)."""
    scheme, _, value = req.headers.get("authorization", "").partition(" ")
    return scheme.lower() in ("bearer", "token") and value.strip() in gh.oauth.tokens


def user_repository(gh: FakeGitHub, req: Request, owner: str, name: str) -> Response:
    """GET /repos/{owner}/{repo} with a user token: the repository with the user's `permissions`, or 404."""
    login = require_user(gh, req).lower()
    repo = gh.find_repo(owner, name)
    role = _role(gh, repo, login) if repo is not None else None
    installed = repo is not None and any(repo.id in i.repo_ids and not i.suspended for i in gh.installations.values())
    if repo is None or (repo.private and (role is None or not installed)):
        raise ApiError(404, "Not Found")
    level = {"admin": 3, "write": 2, "read": 1}.get(role or "", 0)
    permissions = {
        "admin": level >= 3,
        "maintain": level >= 3,
        "push": level >= 2,
        "triage": level >= 2,
        "pull": True,
    }
    return json_response({**J.repository(gh.url, gh.url, repo), "permissions": permissions})


def _role(gh: FakeGitHub, repo: Any, login: str) -> str | None:
    """The user's role on a repository: its owner, its organisation's admin or member (base permission
    "read"), or a collaborator; None when the user has no access of their own."""
    account = repo.owner
    if account.login.lower() == login:
        return "admin"
    collaborator = gh.oauth.collaborators.get(repo.id, {}).get(login)
    member = gh.oauth.memberships.get((account.login.lower(), login)) if account.type == "Organization" else None
    if member == "admin":
        return "admin"
    return collaborator or ("read" if member else None)


def _installation(gh: FakeGitHub, installation: Any) -> dict[str, Any]:
    """An Installation as GET /user/installations lists it."""
    account = installation.account
    return {
        "id": installation.id,
        "account": J.user(gh.url, gh.url, account),
        "repository_selection": "selected",
        "access_tokens_url": f"{gh.url}/app/installations/{installation.id}/access_tokens",
        "repositories_url": f"{gh.url}/installation/repositories",
        "html_url": f"{gh.url}/settings/installations/{installation.id}",
        "app_id": gh.app_id,
        "app_slug": gh.app_slug,
        "target_id": account.id,
        "target_type": account.type,
        "permissions": dict(installation.permissions),
        "events": ["push", "repository"],
        "created_at": "2024-01-01T00:00:00Z",
        "updated_at": "2024-01-01T00:00:00Z",
        "single_file_name": None,
        "suspended_at": J.ts(now()) if installation.suspended else None,
    }
