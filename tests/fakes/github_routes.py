"""HTTP endpoints of the fake GitHub REST API, with GitHub's auth and error semantics."""

from __future__ import annotations

import hashlib
import math
import secrets
import string
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

import jwt

from tests.fakes import github_json as J
from tests.fakes.github_http import ApiError, Request, Response, Router, json_response
from tests.fakes.github_oauth import is_user_token, oauth_router, user_repository
from tests.fakes.github_state import (
    FakeRepo,
    IssuedToken,
    RecordedRequest,
    blob_sha,
    build_tarball,
    now,
    tree_sha,
)

if TYPE_CHECKING:
    from tests.fakes.github import FakeGitHub

router = Router()
REPO = r"/repos/([^/]+)/([^/]+)"
_LEVELS = {"read": 1, "write": 2, "admin": 3}
_TOKEN_CHARS = string.ascii_letters + string.digits
_TARBALL_CHUNK = 64 * 1024
_NOT_ACCESSIBLE = (
    "There is at least one repository that does not exist or is not accessible to the parent installation."
)


def dispatch(gh: FakeGitHub, req: Request) -> Response:
    """Record the request, apply injected failures, route it, and add GitHub's common headers."""
    gh.requests.append(RecordedRequest(req.method, req.path, dict(req.query), dict(req.headers), req.json()))
    with gh.lock:
        response = gh.take_failure(req.method, req.path)
        if response is None:
            try:
                found = router.match(req.method, req.path) or oauth_router.match(req.method, req.path)
                if found is None:
                    note = f"FakeGitHub has no route {req.method} {req.path}"
                    raise ApiError(404, "Not Found", fake_note=note)
                handler, groups = found
                response = handler(gh, req, *groups)
            except ApiError as exc:
                response = json_response(J.error(exc.message, exc.status, **exc.extra), exc.status)
    return _with_common_headers(req, response)


def _with_common_headers(req: Request, response: Response) -> Response:
    reset = int((now() + timedelta(hours=1)).timestamp())
    response.headers.setdefault("x-github-request-id", secrets.token_hex(8).upper())
    response.headers.setdefault("x-github-media-type", "github.v3; format=json")
    response.headers.setdefault("x-ratelimit-limit", "5000")
    response.headers.setdefault("x-ratelimit-remaining", "4999")
    response.headers.setdefault("x-ratelimit-reset", str(reset))
    response.headers.setdefault("x-ratelimit-used", "1")
    response.headers.setdefault("x-ratelimit-resource", "core")
    is_json = response.headers.get("content-type", "").startswith("application/json")
    if req.method == "GET" and response.status == 200 and is_json and response.chunks is None:
        # Real ETags make HTTP caches (githubkit uses hishel) revalidate exactly as against GitHub.
        etag = f'W/"{hashlib.sha256(response.body).hexdigest()[:40]}"'
        response.headers.update({"etag": etag, "cache-control": "private, max-age=60, s-maxage=60"})
        response.headers["vary"] = "Accept, Authorization, Cookie, X-GitHub-OTP"
        if etag in req.headers.get("if-none-match", ""):
            return Response(304, b"", {k: v for k, v in response.headers.items() if k != "content-type"})
    return response


# --- authentication -------------------------------------------------------------------------------


def _credentials(req: Request) -> tuple[str, str]:
    scheme, _, value = req.headers.get("authorization", "").partition(" ")
    return scheme.lower(), value.strip()


def require_jwt(gh: FakeGitHub, req: Request) -> None:
    """Accept only a JWT signed with the app's key (when known), issued by this app, not expired."""
    scheme, token = _credentials(req)
    if scheme != "bearer" or token.count(".") != 2:
        raise ApiError(401, "A JSON web token could not be decoded")
    try:
        claims = jwt.decode(
            token,
            gh.public_key,
            algorithms=["RS256"],
            leeway=60,
            options={"verify_signature": gh.public_key is not None, "require": ["exp", "iat", "iss"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise ApiError(
            401, "'Expiration time' claim ('exp') must be a numeric value representing the future time"
        ) from exc
    except jwt.PyJWTError as exc:
        raise ApiError(401, "A JSON web token could not be decoded") from exc
    if str(claims["iss"]) != str(gh.app_id):
        raise ApiError(401, "'Issuer' claim ('iss') must match the GitHub App id")
    # GitHub refuses JWTs valid for more than 10 minutes.
    if claims["exp"] - now().timestamp() > 600 + 60:
        raise ApiError(401, "'Expiration time' claim ('exp') is too far in the future")


def require_token(gh: FakeGitHub, req: Request) -> IssuedToken:
    """Return the live installation token the request carries, or answer 401."""
    scheme, value = _credentials(req)
    issued = gh.tokens.get(value) if scheme in ("token", "bearer") else None
    installation = gh.installations.get(issued.installation_id) if issued else None
    if issued is None or installation is None or installation.suspended or issued.expires_at <= now():
        raise ApiError(401, "Bad credentials")
    return issued


def require_repo(
    gh: FakeGitHub, req: Request, owner: str, name: str, permission: tuple[str, str] = ("metadata", "read")
) -> FakeRepo:
    """Return the repo if the token's installation can see it (404 otherwise, as GitHub hides it)."""
    issued = require_token(gh, req)
    repo = gh.find_repo(owner, name)
    installed = gh.installations[issued.installation_id].repo_ids
    if repo is None or not issued.can_see(repo.id, installed):
        raise ApiError(404, "Not Found")
    scope, level = permission
    granted = {"metadata": "read", **issued.permissions}  # GitHub always grants metadata:read
    if _LEVELS.get(granted.get(scope, ""), 0) < _LEVELS[level]:
        raise ApiError(403, "Resource not accessible by integration")
    return repo


def resolve_ref(repo: FakeRepo, ref: str | None) -> str:
    """Resolve a branch/sha to a commit sha or answer 404 like GitHub."""
    sha = repo.resolve(ref)
    if sha is None:
        raise ApiError(404, f"No commit found for the ref {ref}")
    return sha


# --- app endpoints (JWT) --------------------------------------------------------------------------


@router.route("GET", r"/app")
def get_app(gh: FakeGitHub, req: Request) -> Response:
    require_jwt(gh, req)
    return json_response(gh.app_json())


@router.route("POST", r"/app/installations/(\d+)/access_tokens")
def create_installation_token(gh: FakeGitHub, req: Request, installation_id: str) -> Response:
    require_jwt(gh, req)
    installation = gh.installations.get(int(installation_id))
    if installation is None:
        raise ApiError(404, "Not Found")
    if installation.suspended:
        raise ApiError(403, "This installation has been suspended")
    body = req.json() or {}
    repo_ids: set[int] | None = None  # unrestricted, like GitHub: follows the installation's repos
    if body.get("repositories") or body.get("repository_ids"):
        named = [gh.find_repo(installation.account.login, n) for n in body.get("repositories") or []]
        wanted = {r.id for r in named if r} | set(body.get("repository_ids") or [])
        if None in named or not wanted <= installation.repo_ids:
            raise ApiError(422, _NOT_ACCESSIBLE)
        repo_ids = wanted
    permissions = dict(installation.permissions)
    if requested := body.get("permissions"):
        if any(_LEVELS.get(permissions.get(k, ""), 0) < _LEVELS.get(v, 9) for k, v in requested.items()):
            raise ApiError(422, "The permissions requested are not granted to this installation.")
        permissions = {"metadata": "read", **requested}
    token = "ghs_" + "".join(secrets.choice(_TOKEN_CHARS) for _ in range(36))
    expires_at = now() + timedelta(hours=1)
    gh.tokens[token] = IssuedToken(
        token, installation.id, expires_at, None if repo_ids is None else frozenset(repo_ids), permissions
    )
    return json_response(
        {
            "token": token,
            "expires_at": J.ts(expires_at),
            "permissions": permissions,
            "repository_selection": "selected",
        },
        201,
    )


# --- installation endpoints (token) ---------------------------------------------------------------


@router.route("GET", r"/installation/repositories")
def list_installation_repos(gh: FakeGitHub, req: Request) -> Response:
    issued = require_token(gh, req)
    installed = gh.installations[issued.installation_id].repo_ids
    visible = {i for i in installed if issued.can_see(i, installed)}
    repos = sorted((gh.repos[i] for i in visible if i in gh.repos), key=lambda r: r.full_name.lower())
    per_page = max(1, min(100, _int(req.query.get("per_page"), 30)))
    page = max(1, _int(req.query.get("page"), 1))
    last = max(1, math.ceil(len(repos) / per_page))
    items = repos[(page - 1) * per_page : page * per_page]
    headers = {"link": _link_header(gh.url + req.path, page, per_page, last)} if last > 1 else {}
    return json_response(
        {
            "total_count": len(repos),
            "repository_selection": "selected",
            "repositories": [J.repository(gh.url, gh.url, r) for r in items],
        },
        headers=headers,
    )


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value else default
    except ValueError:
        return default


def _link_header(url: str, page: int, per_page: int, last: int) -> str:
    rels = {"prev": page - 1, "next": page + 1, "last": last, "first": 1}
    return ", ".join(
        f'<{url}?{urlencode({"per_page": per_page, "page": p})}>; rel="{rel}"'
        for rel, p in rels.items()
        if (rel in ("prev", "first") and page > 1) or (rel in ("next", "last") and page < last)
    )


# --- repository endpoints (token) -----------------------------------------------------------------


@router.route("GET", REPO)
def get_repo(gh: FakeGitHub, req: Request, owner: str, name: str) -> Response:
    if is_user_token(gh, req):  # Login with GitHub's user token: what the user may read
        return user_repository(gh, req, owner, name)
    repo = require_repo(gh, req, owner, name)
    return json_response(J.repository(gh.url, gh.url, repo))


@router.route("GET", r"/repositories/(\d+)")
def get_repo_by_id(gh: FakeGitHub, req: Request, repo_id: str) -> Response:
    found = gh.repos.get(int(repo_id))
    if found is None:
        raise ApiError(404, "Not Found")
    repo = require_repo(gh, req, found.owner.login, found.name)
    return json_response(J.repository(gh.url, gh.url, repo))


@router.route("GET", REPO + r"/branches/(.+)")
def get_branch(gh: FakeGitHub, req: Request, owner: str, name: str, branch: str) -> Response:
    repo = require_repo(gh, req, owner, name, ("contents", "read"))
    if branch in repo.renamed_branches:
        location = f"{gh.url}/repos/{quote(owner)}/{quote(name)}/branches/{quote(repo.renamed_branches[branch])}"
        return json_response({"message": "Moved Permanently", "url": location}, 301, {"location": location})
    if branch not in repo.branches:
        raise ApiError(404, "Branch not found")
    return json_response(J.branch(gh.url, gh.url, repo, branch))


@router.route("GET", REPO + r"/contents(?:/(.*))?")
def get_contents(gh: FakeGitHub, req: Request, owner: str, name: str, path: str | None) -> Response:
    repo = require_repo(gh, req, owner, name, ("contents", "read"))
    sha = resolve_ref(repo, req.query.get("ref"))
    files = repo.commits[sha].files
    path = (path or "").strip("/")
    if path in files:
        data = files[path]
        if ".raw" in req.headers.get("accept", ""):
            return Response(200, data, {"content-type": "application/vnd.github.raw"})
        return json_response(
            J.content_file(
                gh.url,
                gh.url,
                repo,
                sha,
                path,
                data,
                download_url=gh.raw_url(repo, sha, path),
                max_inline=gh.max_inline_content,
            )
        )
    prefix = f"{path}/" if path else ""
    below = {p[len(prefix) :]: d for p, d in files.items() if p.startswith(prefix)}
    if not below:
        raise ApiError(404, "Not Found")
    entries = []
    for child in sorted({rest.split("/", 1)[0] for rest in below}):
        child_path = prefix + child
        if child in below:
            data = below[child]
            entries.append(
                J.content_entry(
                    gh.url,
                    gh.url,
                    repo,
                    sha,
                    child_path,
                    kind="file",
                    size=len(data),
                    object_sha=blob_sha(data),
                    download_url=gh.raw_url(repo, sha, child_path),
                )
            )
        else:
            subtree = {p: d for p, d in below.items() if p.startswith(child + "/")}
            entries.append(
                J.content_entry(
                    gh.url,
                    gh.url,
                    repo,
                    sha,
                    child_path,
                    kind="dir",
                    size=0,
                    object_sha=tree_sha(subtree),
                    download_url=None,
                )
            )
    return json_response(entries)


@router.route("GET", REPO + r"/tarball(?:/(.+))?")
def get_tarball(gh: FakeGitHub, req: Request, owner: str, name: str, ref: str | None) -> Response:
    repo = require_repo(gh, req, owner, name, ("contents", "read"))
    sha = resolve_ref(repo, ref)
    location = f"{gh.url}/_codeload/{repo.full_name}/legacy.tar.gz/{sha}?token={gh.archive_token(repo)}"
    return Response(302, b"", {"location": location})


@router.route("GET", r"/_codeload/([^/]+)/([^/]+)/legacy\.tar\.gz/([0-9a-f]{40})")
def codeload_tarball(gh: FakeGitHub, req: Request, owner: str, name: str, sha: str) -> Response:
    repo = gh.find_repo(owner, name)
    if repo is None or sha not in repo.commits or not gh.archive_token_valid(repo, req.query.get("token")):
        return Response(404, b"404: Not Found", {"content-type": "text/plain; charset=utf-8"})
    prefix = f"{repo.owner.login}-{repo.name}-{sha[:7]}"
    data = build_tarball(prefix + "/", repo.commits[sha].files, repo.commits[sha])
    chunks = [data[i : i + _TARBALL_CHUNK] for i in range(0, len(data), _TARBALL_CHUNK)]
    return Response(
        200,
        headers={
            "content-type": "application/x-gzip",
            "content-disposition": f"attachment; filename={prefix}.tar.gz",
        },
        chunks=chunks,
    )


@router.route("GET", r"/_raw/([^/]+)/([^/]+)/([0-9a-f]{40})/(.+)")
def raw_file(gh: FakeGitHub, req: Request, owner: str, name: str, sha: str, path: str) -> Response:
    repo = gh.find_repo(owner, name)
    files = repo.commits[sha].files if repo and sha in repo.commits else {}
    allowed = repo is not None and (not repo.private or gh.archive_token_valid(repo, req.query.get("token")))
    if not allowed or path not in files:
        return Response(404, b"404: Not Found", {"content-type": "text/plain; charset=utf-8"})
    return Response(200, files[path], {"content-type": "text/plain; charset=utf-8"})


# --- checks and statuses --------------------------------------------------------------------------


@router.route("POST", REPO + r"/check-runs")
def create_check_run(gh: FakeGitHub, req: Request, owner: str, name: str) -> Response:
    repo = require_repo(gh, req, owner, name, ("checks", "write"))
    body = req.json() or {}
    if not body.get("name") or not body.get("head_sha"):
        raise ApiError(422, "Invalid request.", errors=["name and head_sha are required"])
    if body["head_sha"] not in repo.commits:
        raise ApiError(422, f"No commit found for SHA: {body['head_sha']}")
    run: dict[str, Any] = {
        "id": gh.next_id(),
        "repo": repo.full_name,
        "repo_id": repo.id,  # a run belongs to the repository, whatever it is called later
        "name": body["name"],
        "head_sha": body["head_sha"],
        "status": "queued",
        "conclusion": None,
        "started_at": J.ts(now()),
        "completed_at": None,
        "details_url": None,
        "external_id": "",
        "output": {"title": None, "summary": None, "text": None},
        "annotations": [],
        "check_suite_id": gh.next_id(),
    }
    _apply_check_run_update(run, body)
    gh.check_runs.append(run)
    return json_response(J.check_run(gh.url, gh.url, repo, run, gh.app_json()), 201)


@router.route("PATCH", REPO + r"/check-runs/(\d+)")
def update_check_run(gh: FakeGitHub, req: Request, owner: str, name: str, run_id: str) -> Response:
    repo = require_repo(gh, req, owner, name, ("checks", "write"))
    run = next((r for r in gh.check_runs if r["id"] == int(run_id) and r["repo_id"] == repo.id), None)
    if run is None:
        raise ApiError(404, "Not Found")
    _apply_check_run_update(run, req.json() or {})
    return json_response(J.check_run(gh.url, gh.url, repo, run, gh.app_json()))


def _apply_check_run_update(run: dict[str, Any], body: dict[str, Any]) -> None:
    """Merge a create/update body into the stored run, enforcing GitHub's validation rules."""
    status = body.get("status", run["status"])
    conclusion = body.get("conclusion", run["conclusion"])
    if conclusion is not None:
        status = "completed"  # GitHub: providing a conclusion completes the run
    if status == "completed" and conclusion is None:
        raise ApiError(422, "Invalid request.", errors=["conclusion is required when status is completed"])
    output = body.get("output")
    if output is not None:
        if not output.get("title") or not output.get("summary"):
            raise ApiError(422, "Invalid request.", errors=["output requires title and summary"])
        annotations = output.get("annotations") or []
        _check_annotations(annotations)
        run["output"] = {"title": output["title"], "summary": output["summary"], "text": output.get("text")}
        run["annotations"].extend(annotations)
    for key in ("name", "details_url", "external_id", "started_at"):
        if key in body:
            run[key] = body[key]
    run["status"], run["conclusion"] = status, conclusion
    if status == "completed":
        run["completed_at"] = body.get("completed_at") or run["completed_at"] or J.ts(now())


_ANNOTATION_LEVELS = ("notice", "warning", "failure")


def _check_annotations(annotations: list[dict[str, Any]]) -> None:
    """GitHub's rules: at most 50 per request, the required fields, columns only on a single line."""
    if len(annotations) > 50:
        raise ApiError(422, "Invalid request.", errors=["Only 50 annotations may be sent per request"])
    for item in annotations:
        missing = [key for key in ("path", "start_line", "end_line", "annotation_level", "message") if key not in item]
        if missing or item["annotation_level"] not in _ANNOTATION_LEVELS or item["end_line"] < item["start_line"]:
            raise ApiError(422, "Invalid request.", errors=[f"invalid annotation {item!r}"])
        if ("start_column" in item or "end_column" in item) and item["start_line"] != item["end_line"]:
            raise ApiError(422, "Invalid request.", errors=["columns are only allowed on a single line"])


@router.route("POST", REPO + r"/statuses/(.+)")
def create_status(gh: FakeGitHub, req: Request, owner: str, name: str, sha: str) -> Response:
    repo = require_repo(gh, req, owner, name, ("statuses", "write"))
    body = req.json() or {}
    if body.get("state") not in ("error", "failure", "pending", "success"):
        invalid = {"resource": "Status", "field": "state", "code": "custom"}
        raise ApiError(422, "Validation Failed", errors=[invalid])
    if repo.resolve(sha) is None:
        raise ApiError(422, f"No commit found for SHA: {sha}")
    record = {
        "id": gh.next_id(),
        "repo": repo.full_name,
        "repo_id": repo.id,  # a run belongs to the repository, whatever it is called later
        "sha": repo.resolve(sha),
        "state": body["state"],
        "context": body.get("context") or "default",
        "description": body.get("description"),
        "target_url": body.get("target_url"),
        "created_at": J.ts(now()),
    }
    gh.statuses.append(record)
    return json_response(J.status(gh.url, repo, record, J.user(gh.url, gh.url, gh.bot_account)), 201)
