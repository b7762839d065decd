"""Visitor link routes: GET …/context/{id} → 303 to /r/{result_id}; the README badges."""

from __future__ import annotations

import logging
from urllib.parse import quote

from litestar import Request, get
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath
from litestar.response import Response

from app.api_keys.authenticator import InvalidApiKey
from app.context_api.routes import serve_tree_get
from app.errors import AppError
from app.github_source import GitHubAppNotConfigured
from app.links import errors
from app.links.badge_http import badge_response
from app.links.badges import UNAVAILABLE
from app.links.cache import LinkCache
from app.links.clients import client_key
from app.links.errors import ContextNotFound, LinkError
from app.links.names import OWNER_NAME, check_names
from app.links.paths import split_tree_link
from app.links.refname import InvalidBranchName
from app.links.resolve import Admit, LinkRequest
from app.links.resolver import REFUSED, LinkResolver
from app.openapi import (
    INVALID_REQUEST,
    codes_by_status,
    documented,
    parameter_examples,
    problem_responses,
    redirects,
    response_example,
)
from app.private_repos.access import PRIVATE_HEADERS, PrivateRepo
from app.private_repos.gate import admitted_login, sign_in_offer
from app.usage.counter import UsageCounter

log = logging.getLogger("contextjson.links")

__all__ = ["OWNER_NAME", "branch_link", "default_branch_badge", "default_branch_link", "owner_routes", "repo_badge"]

# The OpenAPI description of the link routes: metadata only, the handlers below do not read it.
_REFUSALS: list[type[AppError]] = [
    errors.RepoNotFound,
    errors.AppNotInstalled,
    errors.BranchNotFound,
    errors.ContextFileMissing,
    errors.ContextNotFound,
    errors.ContextInvalid,
    errors.ContextPaused,
    errors.BudgetExhausted,
    errors.RateLimited,
    errors.RepoGenerationsLimited,
    errors.BranchLookupsLimited,
    errors.GitHubUnavailable,
    GitHubAppNotConfigured,
    InvalidApiKey,  # a request that sends a bearer token is judged by it, also here (app.auth.identify)
]
_BADGE = ResponseSpec(
    str,
    media_type="image/svg+xml",
    generate_examples=False,
    description="The README badge (SVG). Unknown repositories and contexts get a grey badge, still a 200.",
)
_NOT_MODIFIED = ResponseSpec(None, description="Not Modified: `If-None-Match` names the badge's current `ETag`.")
_BADGE_RESPONSES = {200: _BADGE, 304: _NOT_MODIFIED, **problem_responses(INVALID_REQUEST)}
_SEE_RESULT = (
    "See Other: the answer's page, `/r/{result_id}` (or, when a budget or rate limit refuses a new answer, the "
    "last good one, marked older; likewise while the owner has paused the context)."
)


_NAMES = parameter_examples(owner="acme", repo="widgets", context_id="explain", rest="main/context/explain")
_BADGE_EXAMPLE = '<svg xmlns="http://www.w3.org/2000/svg" width="128" height="20" role="img" aria-label="…"></svg>'
_LINK_DOCS = documented(redirects, _NAMES)
_BADGE_DOCS = documented(_NAMES, response_example(200, _BADGE_EXAMPLE, "image/svg+xml"))


def _link_responses(*extra: type[AppError]) -> dict[int, ResponseSpec]:
    moved = ResponseSpec(None, description="Moved Permanently: the repository was renamed or transferred.")
    return {301: moved, **problem_responses(INVALID_REQUEST, codes_by_status(*_REFUSALS, *extra))}


@get(
    "/{owner:str}/{repo:str}/context/{context_id:str}",
    summary="Visitor link (default branch)",
    status_code=303,
    response_description=_SEE_RESULT,
    responses=_link_responses(),
    operation_class=_LINK_DOCS,
    cache=False,
)
async def default_branch_link(
    request: Request,
    owner: FromPath[str],
    repo: FromPath[str],
    context_id: FromPath[str],
) -> Response:
    """303 to the result page of this context on the default branch."""
    return await _serve_link(request, owner, repo, None, context_id)


@get(
    "/{owner:str}/{repo:str}/context/{context_id:str}/badge.svg",
    summary="README badge",
    media_type="image/svg+xml",
    responses=_BADGE_RESPONSES,
    operation_class=_BADGE_DOCS,
)
async def default_branch_badge(
    request: Request, owner: FromPath[str], repo: FromPath[str], context_id: FromPath[str]
) -> Response[bytes]:
    """The badge for a context link."""
    return await _badge(request, owner, repo, None, context_id)


@get(
    "/{owner:str}/{repo:str}/badge.svg",
    summary="Repository badge",
    description="How many contexts the default branch offers (`…/tree/{branch}/badge.svg`: that branch).",
    media_type="image/svg+xml",
    responses=_BADGE_RESPONSES,
    operation_class=_BADGE_DOCS,
)
async def repo_badge(request: Request, owner: FromPath[str], repo: FromPath[str]) -> Response[bytes]:
    """The badge of a repository."""
    return await _badge(request, owner, repo, None, None)


@get(
    "/{owner:str}/{repo:str}/tree/{rest:path}",
    summary="Visitor link or badge on a branch",
    description="`rest` is `{branch}/context/{context_id}` (the branch may contain slashes), or that followed by "
    "`/badge.svg` for the branch's README badge (200, image/svg+xml), or `{branch}/badge.svg` for the "
    "repository's badge on that branch.",
    status_code=303,
    response_description=_SEE_RESULT,
    responses={200: _BADGE, 304: _NOT_MODIFIED, **_link_responses(errors.InvalidBranchName)},
    operation_class=_LINK_DOCS,
    cache=False,
)
async def branch_link(request: Request, owner: FromPath[str], repo: FromPath[str], rest: FromPath[str]) -> Response:
    """`…/tree/{branch}/context/{id}` (branch names may contain slashes) and its `/badge.svg`."""
    return await _serve_tree(request, owner, repo, rest)


def owner_routes(owner: str) -> list[HTTPRouteHandler]:
    """The link and badge routes for one owner whose login is also the first segment of a service route.

    Litestar follows a literal segment (`/r/…`, `/schema/…`) before a parameter and does not come back,
    so without these `/r/REPO/context/ID` would be looked up among result pages and answer 404.
    """

    @get(f"/{owner}/{{repo:str}}/context/{{context_id:str}}", cache=False, include_in_schema=False)
    async def link(request: Request, repo: FromPath[str], context_id: FromPath[str]) -> Response:
        return await _serve_link(request, owner, repo, None, context_id)

    @get(f"/{owner}/{{repo:str}}/context/{{context_id:str}}/badge.svg", include_in_schema=False)
    async def badge(request: Request, repo: FromPath[str], context_id: FromPath[str]) -> Response[bytes]:
        return await _badge(request, owner, repo, None, context_id)

    @get(f"/{owner}/{{repo:str}}/badge.svg", include_in_schema=False)
    async def whole_repo_badge(request: Request, repo: FromPath[str]) -> Response[bytes]:
        return await _badge(request, owner, repo, None, None)

    @get(f"/{owner}/{{repo:str}}/tree/{{rest:path}}", cache=False, include_in_schema=False)
    async def tree(request: Request, repo: FromPath[str], rest: FromPath[str]) -> Response:
        return await _serve_tree(request, owner, repo, rest)

    return [link, badge, whole_repo_badge, tree]


async def _serve_tree(request: Request, owner: str, repo: str, rest: str) -> Response:
    try:
        link = split_tree_link(request.scope.get("raw_path"), rest)
    except InvalidBranchName as exc:
        raise errors.InvalidBranchName(f"The branch in this link {exc}.") from None
    if link is None:
        base_url = await serve_tree_get(request, owner, repo, rest)  # …/context/{id}/v1 and the other API forms
        if base_url is not None:
            return base_url
        raise ContextNotFound("Links look like /OWNER/REPO/tree/BRANCH/context/ID.")
    if link.badge:
        return await _badge(request, owner, repo, link.branch, link.context_id)
    assert link.context_id is not None  # split_tree_link gives a context id to every link that is not a badge
    return await _serve_link(request, owner, repo, link.branch, link.context_id)


async def _serve_link(request: Request, owner: str, repo: str, branch: str | None, context_id: str) -> Response:
    # The hot path: no dependency injection, one dict lookup (see bench/link_hit.py).
    state = request.app.state
    server: LinkResolver = state.link_resolver
    usage: UsageCounter = state.usage
    key = LinkCache.key(owner, repo, branch, context_id)

    def link(admit: Admit | None = None) -> LinkRequest:
        return LinkRequest(owner, repo, branch, context_id, _client_key(request, server), admit)

    cached = server.cached(key, link)
    if cached is not None:
        if isinstance(cached, str):  # a public repository's answer
            usage.click(cached, True, request.scope)
            return _see_result(cached)
        return await _serve_private(request, owner, repo, cached.result_id, cached.repo, hit=True)
    try:
        # Only valid names ever reach the cache, the database or GitHub (checked on a miss: a hit was
        # checked when it was cached).
        check_names(owner, repo, branch, context_id)
        outcome = await server.resolve(key, link(lambda private: admitted_login(request, private)))
    except errors.RepositoryMoved as moved:
        if moved.private is not None and await admitted_login(request, moved.private) is None:
            raise await _unknown_repository(request, owner, repo) from None
        return _moved(moved, branch, context_id)
    except LinkError as exc:
        REFUSED.inc()
        return await _refused(request, owner, repo, exc)
    if outcome.private is not None:
        return await _serve_private(request, owner, repo, outcome.result_id, outcome.private, hit=not outcome.created)
    usage.click(outcome.result_id, not outcome.created, request.scope)
    return _see_result(outcome.result_id)


async def _serve_private(
    request: Request, owner: str, repo: str, result_id: str, private: PrivateRepo, *, hit: bool
) -> Response:
    """A private repository's answer, for a visitor GitHub says may read it (anyone else: an unknown repository)."""
    login = await admitted_login(request, private)
    if login is None:
        raise await _unknown_repository(request, owner, repo)
    request.app.state.usage.click(result_id, hit, request.scope, login)
    return Response(b"", status_code=303, headers={"Location": f"/r/{result_id}", **PRIVATE_HEADERS})


async def _refused(request: Request, owner: str, repo: str, exc: LinkError) -> Response:
    """Why a link cannot be answered, or the last good answer instead, told only to whoever may know."""
    login = None
    if exc.private is not None:
        login = await admitted_login(request, exc.private)
        if login is None:
            raise await _unknown_repository(request, owner, repo) from None
    if isinstance(exc, errors.RepoNotFound):  # unknown, or private and not for this visitor: one answer
        raise await _unknown_repository(request, owner, repo) from None
    if exc.fallback_url and exc.fallback_result_id:  # a budget or rate refusal (LinkError.older)
        # Never a dead end: show the last good answer, marked as older.
        request.app.state.usage.click(exc.fallback_result_id, True, request.scope, login)
        return Response(b"", status_code=303, headers={"Location": exc.fallback_url, **exc.extra_headers})
    raise exc  # app.problems answers: a page for browsers, problem+json for everyone else


async def _unknown_repository(request: Request, owner: str, repo: str) -> errors.RepoNotFound:
    """The answer for a repository that is unknown, or private and not readable by this visitor: the same one."""
    hint, links = await sign_in_offer(request)
    detail = errors.unknown_repository_detail(owner, repo) + hint
    return errors.RepoNotFound(detail, links=links, headers=dict(PRIVATE_HEADERS))


def _moved(moved: errors.RepositoryMoved, branch: str | None, context_id: str) -> Response:
    """The same link under the repository's new owner/name (permanent, as GitHub's own redirects are)."""
    base = f"/{quote(moved.owner, safe='')}/{quote(moved.name, safe='')}"
    tree = f"/tree/{quote(branch, safe='/')}" if branch is not None else ""
    private = PRIVATE_HEADERS if moved.private is not None else {}  # a 301 is cached by default
    return Response(b"", status_code=301, headers={"Location": f"{base}{tree}/context/{context_id}", **private})


def _see_result(result_id: str) -> Response:
    # A plain 303: result ids are URL-safe, so Redirect's URL handling is not needed on the hot path.
    return Response(b"", status_code=303, headers={"Location": f"/r/{result_id}"})


def _client_key(request: Request, server: LinkResolver) -> str:
    """A keyed hash of the client's network (the proxy-header middleware has already found the client)."""
    return client_key(request.client.host if request.client else None, server.secret_key)


async def _badge(
    request: Request, owner: str, repo: str, branch: str | None, context_id: str | None
) -> Response[bytes]:
    """A context's badge (context_id None: the repository's), from stored facts only; never an error.

    A private repository's badge is shown only to a visitor who may read it (a browser opening the badge
    itself; GitHub's image proxy never signs in); anyone else gets the badge of an unknown repository.
    """
    server: LinkResolver = request.app.state.link_resolver
    badge = await server.badge(owner, repo, branch, context_id)
    if badge.private is None:
        return badge_response(request, badge)
    if await admitted_login(request, badge.private) is None:
        return badge_response(request, UNAVAILABLE)
    return badge_response(request, badge, private=True)
