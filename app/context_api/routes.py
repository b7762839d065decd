"""Every context as an OpenAI base URL: `…/context/{id}` and `…/context/{id}/v1`, default branch or a branch.

`POST …/chat/completions` is /v1/chat/completions (app.completions: streaming, store, X-Cache, errors, billed to
the caller's key) with the context's system message first; `model` may be left out (the entry's model).
`GET …/models` lists the models; a GET on the base URL itself explains it (app.context_api.explain).

Branches contain slashes, so the branch forms are served by one handler per method on
`/{owner}/{repo}/tree/{rest:path}` that reads the suffix from the raw path and dispatches through
TREE_POSTS / TREE_GETS (GET goes through app.links.controller, which owns the visitor link on that path).
To add a per-context endpoint (e.g. `"mcp"`), add a ContextRoute to these tables for the branch forms, and a
route for the default-branch form `/{owner}/{repo}/context/{context_id}/<suffix>` (and its owner alias below).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from litestar import Request, Router, get, post
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath
from litestar.response import Response

from app.api_keys.authenticator import api_key_viewer
from app.clients import pick
from app.completions.accounting import Payer
from app.completions.docs import COMPLETION_OPERATION, MODELS_OPERATION
from app.completions.request import parse_call
from app.completions.routes import answer_call, api_payer, model_list
from app.completions.service import CompletionClients
from app.context_api.clients import context_clients
from app.context_api.docs import (
    CONTEXT_COMPLETION_BODY,
    CONTEXT_COMPLETION_RESPONSES,
    CONTEXT_MODELS_RESPONSES,
    EXPLANATION_RESPONSES,
)
from app.context_api.errors import ContextUnavailable
from app.context_api.explain import explanation
from app.context_api.mcp_docs import MCP_BODY, MCP_GET_RESPONSES, MCP_OPERATION, MCP_POST_RESPONSES
from app.context_api.mcp_server import mcp_get_not_allowed, serve_mcp
from app.context_api.paths import split_context_path
from app.context_api.target import find_context, resolve_context_target
from app.errors import AppError
from app.guards import ANONYMOUS
from app.links.refname import InvalidBranchName
from app.private_repos.access import PRIVATE_HEADERS
from app.problems.handler import OPENAI_ERRORS
from app.problems.problem import problem_from
from app.problems.render import openai_response


@dataclass(frozen=True)
class ContextAddress:
    owner: str
    repo: str
    branch: str | None  # None: the default branch
    context_id: str


ContextRoute = Callable[[Request[Any, Any, Any], ContextAddress], Awaitable[Response[Any]]]


async def chat(request: Request[Any, Any, Any], at: ContextAddress) -> Response[Any]:
    """A chat completion with the context's system message first, billed to the caller's key."""
    clients = context_clients(request)
    payer = await api_payer(request, clients.settings)
    raw = await request.body()
    model = _asked_model(raw)  # the context is cut to fit the window of the model asked
    target = await resolve_context_target(request, payer, at.owner, at.repo, at.branch, at.context_id, model=model)
    call = parse_call(
        raw,
        clients.catalog,
        target.messages,
        default_model=target.model,
        context=target.address,
    )
    return await answer_call(request, pick(CompletionClients, vars(clients)), call, payer)


def _asked_model(raw: bytes) -> str | None:
    """The body's `model`, if it is readable (parse_call judges the body itself afterwards)."""
    try:
        body = json.loads(raw)
    except ValueError:
        return None
    model = body.get("model") if isinstance(body, dict) else None
    return model if isinstance(model, str) and model else None


async def models(request: Request[Any, Any, Any], at: ContextAddress) -> Response[Any]:
    """The models a context may be asked with (any of the service's), for a key that may ask it."""
    clients = context_clients(request)
    payer = await api_payer(request, clients.settings)
    await find_context(request, payer, at.owner, at.repo, at.branch, at.context_id)
    return Response(model_list(clients.catalog), status_code=200)  # also under the tree handler (303)


async def explain(request: Request[Any, Any, Any], at: ContextAddress) -> Response[Any]:
    """The base URL explained in plain text; a private repository only to its owner's key."""
    clients = context_clients(request)
    viewer = await api_key_viewer(request)
    payer = Payer(min(viewer.account_ids), viewer.api_key_id) if viewer and viewer.api_key_id else None
    target = await find_context(request, payer, at.owner, at.repo, at.branch, at.context_id)
    text = explanation(clients.settings.public_base, target, at.branch, at.context_id)
    headers = PRIVATE_HEADERS if target.repo.private else {}
    return Response(text, status_code=200, media_type="text/plain", headers=headers)


async def mcp(request: Request[Any, Any, Any], at: ContextAddress) -> Response[Any]:
    """The context's MCP server (app.context_api.mcp_server)."""
    return await serve_mcp(request, at.owner, at.repo, at.branch, at.context_id)


async def mcp_get(request: Request[Any, Any, Any], at: ContextAddress) -> Response[Any]:
    """405: the MCP server is stateless (no standalone event stream)."""
    raise mcp_get_not_allowed()


# The branch forms, by what follows `…/tree/{branch}/context/{id}/`.
TREE_POSTS: dict[str, ContextRoute] = {"chat/completions": chat, "v1/chat/completions": chat, "mcp": mcp}
TREE_GETS: dict[str, ContextRoute] = {
    "v1": explain,
    "chat/completions": explain,
    "v1/chat/completions": explain,
    "models": models,
    "v1/models": models,
    "mcp": mcp_get,
}
_SHAPE = "Context base URLs look like /OWNER/REPO/tree/BRANCH/context/ID/v1 (POST …/v1/chat/completions)."


async def _dispatch(
    request: Request[Any, Any, Any], table: dict[str, ContextRoute], owner: str, repo: str, rest: str
) -> Response[Any] | None:
    try:
        path = split_context_path(request.scope.get("raw_path"), rest, table)
    except InvalidBranchName as exc:
        raise ContextUnavailable(f"The branch in this URL {exc}.", code="invalid_branch", status_code=400) from None
    if path is None:
        return None
    return await table[path.suffix](request, ContextAddress(owner, repo, path.branch, path.context_id))


async def serve_tree_post(request: Request[Any, Any, Any], owner: str, repo: str, rest: str) -> Response[Any]:
    """POST `…/tree/{branch}/context/{id}/{suffix}`."""
    response = await _dispatch(request, TREE_POSTS, owner, repo, rest)
    if response is None:
        raise ContextUnavailable(_SHAPE)
    return response


async def serve_tree_get(request: Request[Any, Any, Any], owner: str, repo: str, rest: str) -> Response[Any] | None:
    """GET `…/tree/{branch}/context/{id}/{suffix}` (None: not a base URL form); errors in OpenAI's shape."""
    try:
        return await _dispatch(request, TREE_GETS, owner, repo, rest)
    except AppError as exc:  # the visitor link's handler renders pages; these are API addresses
        return openai_response(problem_from(exc, request.method))


_OPENAI = {"errors": OPENAI_ERRORS}
_CONTEXT = "/{owner:str}/{repo:str}/context/{context_id:str}"
_EXPLAIN_PATHS = [f"{_CONTEXT}/v1", f"{_CONTEXT}/chat/completions", f"{_CONTEXT}/v1/chat/completions"]


@post(
    [f"{_CONTEXT}/chat/completions", f"{_CONTEXT}/v1/chat/completions"],
    opt=_OPENAI,
    status_code=200,
    summary="Chat completions with a context (OpenAI-compatible)",
    description="`/v1/chat/completions` with the context's repository and prompt as the system message, billed to "
    "the caller's key; `model` may be left out. Branch forms: `/{owner}/{repo}/tree/{branch}/context/{id}[/v1]"
    "/chat/completions`.",
    responses=CONTEXT_COMPLETION_RESPONSES,
    dependencies=CONTEXT_COMPLETION_BODY,  # documents the body, which the handler reads itself
    operation_class=COMPLETION_OPERATION,
)
async def context_chat_completions(
    request: Request[Any, Any, Any], owner: FromPath[str], repo: FromPath[str], context_id: FromPath[str]
) -> Response[Any]:
    """Chat completion with this context on the default branch."""
    return await chat(request, ContextAddress(owner, repo, None, context_id))


@get(
    [f"{_CONTEXT}/v1/models", f"{_CONTEXT}/models"],
    opt=_OPENAI,
    summary="Models of a context base URL (OpenAI-compatible)",
    responses=CONTEXT_MODELS_RESPONSES,
    operation_class=MODELS_OPERATION,
)
async def context_models(
    request: Request[Any, Any, Any], owner: FromPath[str], repo: FromPath[str], context_id: FromPath[str]
) -> Response[Any]:
    """The models this context may be asked with."""
    return await models(request, ContextAddress(owner, repo, None, context_id))


@get(
    _EXPLAIN_PATHS,
    opt=_OPENAI,
    summary="How to use a context base URL",
    media_type="text/plain",
    responses=EXPLANATION_RESPONSES,
)
async def context_explanation(
    request: Request[Any, Any, Any], owner: FromPath[str], repo: FromPath[str], context_id: FromPath[str]
) -> Response[Any]:
    """A short explanation with a working curl and Python example."""
    return await explain(request, ContextAddress(owner, repo, None, context_id))


@post(
    f"{_CONTEXT}/mcp",
    opt=_OPENAI,
    status_code=200,
    summary="MCP server of a context (Streamable HTTP)",
    description="A stateless MCP server: the tool `ask` (`prompt`, optional `model`) answers with the context, billed "
    "to the caller's key, with progress notifications; the context text is a resource. SSE when the request accepts "
    "`text/event-stream`, else JSON. Branch form: `/{owner}/{repo}/tree/{branch}/context/{id}/mcp`.",
    media_type="application/json",
    responses=MCP_POST_RESPONSES,
    dependencies=MCP_BODY,
    operation_class=MCP_OPERATION,
)
async def context_mcp(
    request: Request[Any, Any, Any], owner: FromPath[str], repo: FromPath[str], context_id: FromPath[str]
) -> Response[Any]:
    """MCP (Streamable HTTP) for this context on the default branch."""
    return await mcp(request, ContextAddress(owner, repo, None, context_id))


@get(
    f"{_CONTEXT}/mcp",
    opt=_OPENAI,
    status_code=405,
    summary="MCP server: GET is not offered",
    media_type="application/json",
    responses=MCP_GET_RESPONSES,
)
async def context_mcp_get(
    request: Request[Any, Any, Any], owner: FromPath[str], repo: FromPath[str], context_id: FromPath[str]
) -> Response[Any]:
    """405 with `Allow: POST`: a stateless server has no standalone event stream."""
    raise mcp_get_not_allowed()


@post(
    "/{owner:str}/{repo:str}/tree/{rest:path}",
    opt=_OPENAI,
    status_code=200,
    summary="Context base URLs on a branch",
    description="`rest` is `{branch}/context/{context_id}/chat/completions` or `…/v1/chat/completions` (the branch "
    "may contain slashes).",
    responses=CONTEXT_COMPLETION_RESPONSES,
    dependencies=CONTEXT_COMPLETION_BODY,
    operation_class=COMPLETION_OPERATION,
)
async def tree_post(
    request: Request[Any, Any, Any], owner: FromPath[str], repo: FromPath[str], rest: FromPath[str]
) -> Response[Any]:
    """POST on a branch's context base URL."""
    return await serve_tree_post(request, owner, repo, rest)


def owner_routes(owner: str) -> list[HTTPRouteHandler]:
    """These routes for one owner whose login is also a service route's first segment (app.links.routes mounts them
    with the owner's visitor links)."""
    context = f"/{owner}/{{repo:str}}/context/{{context_id:str}}"

    @post([f"{context}/chat/completions", f"{context}/v1/chat/completions"], opt=_OPENAI, status_code=200)
    async def completions(request: Request[Any, Any, Any], repo: FromPath[str], context_id: FromPath[str]) -> Any:
        return await chat(request, ContextAddress(owner, repo, None, context_id))

    @get([f"{context}/v1/models", f"{context}/models"], opt=_OPENAI)
    async def model_names(request: Request[Any, Any, Any], repo: FromPath[str], context_id: FromPath[str]) -> Any:
        return await models(request, ContextAddress(owner, repo, None, context_id))

    explain_paths = [f"{context}/v1", f"{context}/chat/completions", f"{context}/v1/chat/completions"]

    @get(explain_paths, opt=_OPENAI, media_type="text/plain")
    async def how_to(request: Request[Any, Any, Any], repo: FromPath[str], context_id: FromPath[str]) -> Any:
        return await explain(request, ContextAddress(owner, repo, None, context_id))

    @post(f"/{owner}/{{repo:str}}/tree/{{rest:path}}", opt=_OPENAI, status_code=200)
    async def tree(request: Request[Any, Any, Any], repo: FromPath[str], rest: FromPath[str]) -> Any:
        return await serve_tree_post(request, owner, repo, rest)

    @post(f"{context}/mcp", opt=_OPENAI, status_code=200)
    async def mcp_post(request: Request[Any, Any, Any], repo: FromPath[str], context_id: FromPath[str]) -> Any:
        return await mcp(request, ContextAddress(owner, repo, None, context_id))

    @get(f"{context}/mcp", opt=_OPENAI, status_code=405)
    async def mcp_refused(request: Request[Any, Any, Any], repo: FromPath[str], context_id: FromPath[str]) -> Any:
        raise mcp_get_not_allowed()

    return [completions, model_names, how_to, tree, mcp_post, mcp_refused]


# tree_post is registered by app.links.routes, whose visitor link serves GET on the same path.
router = Router(
    path="/",
    route_handlers=[context_chat_completions, context_models, context_explanation, context_mcp, context_mcp_get],
    guards=ANONYMOUS,
    tags=["context base URLs"],
)
