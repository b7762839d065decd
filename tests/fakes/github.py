"""FakeGitHub: a loopback GitHub REST API with in-memory state, for tests that must not reach GitHub."""

from __future__ import annotations

import itertools
import random
import re
import secrets
import threading
from contextlib import ExitStack
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from cryptography.hazmat.primitives import serialization

from tests.fakes import github_json as J
from tests.fakes import github_manifest  # noqa: F401  (registers the manifest flow's routes)
from tests.fakes.github_http import Response, asgi_app, json_response
from tests.fakes.github_oauth import FakeOAuth
from tests.fakes.github_routes import dispatch
from tests.fakes.github_state import (
    DEFAULT_PERMISSIONS,
    Account,
    FakeInstallation,
    FakeRepo,
    IssuedToken,
    RecordedRequest,
    now,
)
from tests.support.servers import run_asgi_in_thread

__all__ = ["FakeGitHub", "FakeInstallation", "FakeRepo", "RecordedRequest"]

# githubkit caches JWTs and installation tokens process-wide, keyed by app id and installation id
# but not by base URL; a distinct app id per fake keeps one test's cached token away from the next.
_app_ids = itertools.count(random.randint(100_000, 800_000))


class FakeGitHub:
    """In-memory GitHub (repos, installations, tokens, checks), served over HTTP inside `with`."""

    max_inline_content = 1024 * 1024  # the contents API inlines files up to 1 MB

    def __init__(
        self,
        *,
        app_id: int | None = None,
        private_key_pem: str | bytes | None = None,
        app_slug: str = "contextjson-test",
    ) -> None:
        self.app_id = app_id if app_id is not None else next(_app_ids)
        if isinstance(private_key_pem, bytes):
            private_key_pem = private_key_pem.decode()
        self.private_key_pem = private_key_pem
        self.public_key = (
            serialization.load_pem_private_key(self.private_key_pem.encode(), password=None).public_key()
            if self.private_key_pem
            else None
        )
        self.app_slug = app_slug
        self.lock = threading.RLock()
        self.accounts: dict[str, Account] = {}
        self.repos: dict[int, FakeRepo] = {}
        self.installations: dict[int, FakeInstallation] = {}
        self.tokens: dict[str, IssuedToken] = {}
        self.requests: list[RecordedRequest] = []
        self.check_runs: list[dict[str, Any]] = []
        self.statuses: list[dict[str, Any]] = []
        self._archive_tokens: dict[str, tuple[int, datetime]] = {}
        self._failures: list[dict[str, Any]] = []
        self.manifests: list[dict[str, Any]] = []  # App Manifest flow: each form received
        self.manifest_codes: dict[str, dict[str, Any]] = {}
        self.registered_webhook_secret: str | None = None
        # Login with GitHub: the App's OAuth client credentials, who signs in, user tokens and org roles.
        self.oauth = FakeOAuth(self.lock)
        self._ids = itertools.count(1000)
        self.app_owner = self.account("contextjson-dev", "Organization")
        self.bot_account = Account(f"{app_slug}[bot]", 900_000 + self.app_id, "Bot")
        self.app = asgi_app(lambda req: dispatch(self, req))
        self._url: str | None = None
        self._stack = ExitStack()

    # --- serving ---------------------------------------------------------------------------------

    def __enter__(self) -> FakeGitHub:
        self._url = self._stack.enter_context(run_asgi_in_thread(self.app))
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stack.close()
        self._url = None

    @property
    def url(self) -> str:
        """Base URL of the running API (use as GITHUB_API_URL); no trailing slash."""
        if self._url is None:
            raise RuntimeError("FakeGitHub is not serving; use it as a context manager")
        return self._url

    # --- test-side setup -------------------------------------------------------------------------

    def next_id(self) -> int:
        """A fresh numeric id (repos, check runs, statuses, accounts)."""
        return next(self._ids)

    def account(self, login: str, account_type: str | None = None) -> Account:
        """Get or create the user/organization `login`."""
        with self.lock:
            found = self.accounts.get(login.lower())
            if found is None:
                found = self.accounts[login.lower()] = Account(login, self.next_id(), account_type or "User")
            elif account_type:
                found.type = account_type
            return found

    def add_repo(
        self,
        owner: str,
        name: str,
        *,
        repo_id: int | None = None,
        private: bool = False,
        default_branch: str = "main",
        files: dict[str, bytes | str | None] | None = None,
    ) -> FakeRepo:
        """Create a repository; with `files`, also make a first commit on the default branch."""
        with self.lock:
            if self.find_repo(owner, name) is not None:
                raise ValueError(f"repository {owner}/{name} already exists")
            repo_id = repo_id if repo_id is not None else self.next_id()
            if repo_id in self.repos:
                raise ValueError(f"repository id {repo_id} already used")
            repo = FakeRepo(self.account(owner), name, repo_id, private, default_branch, self.lock)
            self.repos[repo_id] = repo
        if files is not None:
            repo.commit(default_branch, files, message="Initial commit")
        return repo

    def edit_repo(
        self,
        repo: FakeRepo,
        *,
        name: str | None = None,
        owner: str | None = None,
        private: bool | None = None,
        archived: bool | None = None,
    ) -> FakeRepo:
        """Rename, transfer, make private/public or (un)archive a repository, as its owner would on GitHub."""
        with self.lock:
            repo.name = name if name is not None else repo.name
            repo.owner = self.account(owner) if owner is not None else repo.owner
            repo.private = private if private is not None else repo.private
            repo.archived = archived if archived is not None else repo.archived
        return repo

    def delete_repo(self, repo: FakeRepo) -> None:
        """Delete a repository (it disappears from every installation)."""
        with self.lock:
            self.repos.pop(repo.id, None)
            for installation in self.installations.values():
                installation.repo_ids.discard(repo.id)

    def find_repo(self, owner: str, name: str) -> FakeRepo | None:
        """Look a repository up by owner and name, case-insensitively like GitHub."""
        full_name = f"{owner}/{name}".lower()
        return next((r for r in self.repos.values() if r.full_name.lower() == full_name), None)

    def add_installation(
        self,
        installation_id: int,
        account_login: str,
        repo_ids: list[int] | set[int],
        *,
        permissions: dict[str, str] | None = None,
        account_type: str | None = None,
    ) -> FakeInstallation:
        """Install the app on `account_login` with access to `repo_ids`."""
        with self.lock:
            installation = FakeInstallation(
                installation_id,
                self.account(account_login, account_type),
                set(repo_ids),
                dict(permissions or DEFAULT_PERMISSIONS),
            )
            self.installations[installation_id] = installation
            return installation

    def issue_token(self, installation_id: int, *, expires_in: timedelta = timedelta(hours=1)) -> str:
        """Issue an installation token directly, skipping the JWT exchange."""
        with self.lock:
            installation = self.installations[installation_id]
            token = "ghs_" + secrets.token_hex(18)
            self.tokens[token] = IssuedToken(
                token,
                installation_id,
                now() + expires_in,
                None,
                dict(installation.permissions),
            )
            return token

    def expire_tokens(self) -> None:
        """Make every issued installation token expired (they then get 401)."""
        with self.lock:
            for issued in self.tokens.values():
                issued.expires_at = now() - timedelta(seconds=1)

    def fail_next(
        self,
        method: str,
        path_regex: str,
        status: int,
        times: int = 1,
        *,
        message: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the next `times` requests matching `method` ("*" = any) and `path_regex` with `status`."""
        with self.lock:
            self._failures.append(
                {
                    "method": method.upper(),
                    "pattern": re.compile(path_regex),
                    "status": status,
                    "remaining": times,
                    "message": message or f"Injected failure ({status})",
                    "headers": dict(headers or {}),
                }
            )

    def find_requests(self, method: str | None = None, path_regex: str | None = None) -> list[RecordedRequest]:
        """Recorded requests filtered by method and a regex searched in the path."""
        return [
            r
            for r in list(self.requests)
            if (method is None or r.method == method.upper()) and (path_regex is None or re.search(path_regex, r.path))
        ]

    # --- used by the routes ----------------------------------------------------------------------

    def take_failure(self, method: str, path: str) -> Response | None:
        """Consume a matching injected failure, if any."""
        for failure in self._failures:
            if failure["method"] in ("*", method) and failure["pattern"].search(path):
                failure["remaining"] -= 1
                if failure["remaining"] <= 0:
                    self._failures.remove(failure)
                body = J.error(failure["message"], failure["status"])
                return json_response(body, failure["status"], failure["headers"])
        return None

    def app_json(self) -> dict[str, Any]:
        """The app as GET /app returns it."""
        permissions = dict(DEFAULT_PERMISSIONS)
        return J.app(self.url, self.url, self.app_id, self.app_slug, self.app_owner, permissions)

    def archive_token(self, repo: FakeRepo) -> str:
        """A short-lived token for codeload/raw URLs, like the ?token= GitHub puts on private downloads."""
        token = secrets.token_urlsafe(16)
        self._archive_tokens[token] = (repo.id, now() + timedelta(minutes=5))
        return token

    def archive_token_valid(self, repo: FakeRepo, token: str | None) -> bool:
        """Whether `token` was issued for `repo` and has not expired."""
        repo_id, expires_at = self._archive_tokens.get(token or "", (None, now()))
        return repo_id == repo.id and expires_at > now()

    def raw_url(self, repo: FakeRepo, sha: str, path: str) -> str:
        """The download_url of a file (token-protected for private repos, like raw.githubusercontent.com)."""
        url = f"{self.url}/_raw/{repo.full_name}/{sha}/{quote(path)}"
        return f"{url}?token={self.archive_token(repo)}" if repo.private else url
