"""An MCP server per context: `POST …/context/{id}/mcp`, Streamable HTTP in stateless mode (the official SDK).

Our handler authenticates the key and finds the context before the SDK sees anything (401 with
`WWW-Authenticate`, 404 for an unknown context), then hands the raw request to one of two SDK session managers:
SSE (the request accepts `text/event-stream`, as SDK clients do; progress notifications travel on that stream)
or plain JSON responses (a client that accepts only `application/json`). Stateless: every POST is served on its
own, so any replica can answer any request and there is no session to keep, resume or delete; GET (a
standalone event stream) is 405.

The SDK server is one for all contexts; which context, key and request a message belongs to travels in the
ASGI scope (McpCall), which the SDK hands to each handler as `ctx.request`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import mcp_types as types
from litestar import Litestar, Request
from litestar.response import Response
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel.server import Server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.shared.exceptions import MCPError
from starlette.requests import Request as StarletteRequest

from app.completions.accounting import Payer
from app.completions.routes import api_payer
from app.context_api.clients import context_clients
from app.context_api.mcp_asgi import ASGIAppResponse
from app.context_api.mcp_docs import McpMethodNotAllowed
from app.context_api.mcp_http import checked_message, media_types
from app.context_api.mcp_resources import list_resources, read_resource
from app.context_api.mcp_tools import ask, ask_tool
from app.context_api.target import find_context
from app.links.resolve import Target

SCOPE_KEY = "contextjson.mcp"
ALLOW = "POST"
INSTRUCTIONS = (
    "This server answers questions about one GitHub repository with the context its owner defined in "
    "context.json. Call `ask` with a question; the context text itself is a resource. Calls are billed to the "
    "account of the API key you connect with."
)


@dataclass(frozen=True)
class McpCall:
    """What one MCP POST is about: the payer, the context it names, and our request (for the shared clients)."""

    request: Request[Any, Any, Any]
    payer: Payer
    branch: str | None  # as asked: None is the default branch (target.branch is the one it resolved to)
    context_id: str
    target: Target


def mcp_call(ctx: ServerRequestContext[Any, Any]) -> McpCall:
    """The McpCall of the POST a message came in."""
    request = ctx.request
    call = request.scope.get(SCOPE_KEY) if isinstance(request, StarletteRequest) else None
    if not isinstance(call, McpCall):  # only our route reaches the SDK, so this is a bug, not a caller's error
        raise MCPError(types.INTERNAL_ERROR, "The MCP request has no context.")
    return call


async def _list_tools(ctx: ServerRequestContext[Any, Any], _: types.PaginatedRequestParams | None) -> Any:
    return types.ListToolsResult(tools=[ask_tool(mcp_call(ctx))])


async def _call_tool(ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams) -> Any:
    if params.name != "ask":
        raise MCPError(types.INVALID_PARAMS, f"Unknown tool `{params.name}`; this server has one tool, `ask`.")
    return await ask(mcp_call(ctx), params.arguments or {}, ctx.session.report_progress)


async def _list_resources(ctx: ServerRequestContext[Any, Any], _: types.PaginatedRequestParams | None) -> Any:
    return list_resources(mcp_call(ctx))


async def _read_resource(ctx: ServerRequestContext[Any, Any], params: types.ReadResourceRequestParams) -> Any:
    return await read_resource(mcp_call(ctx), params.uri)


def build_server() -> Server[Any]:
    """The SDK server: the `ask` tool and the context text as a resource."""
    return Server(
        "contextjson",
        version="0.1.0",
        instructions=INSTRUCTIONS,
        on_list_tools=_list_tools,
        on_call_tool=_call_tool,
        on_list_resources=_list_resources,
        on_read_resource=_read_resource,
    )


class McpServers:
    """The SDK's stateless session managers, one per response style, running for the app's lifetime.

    DNS rebinding protection stays off: every request carries a bearer key, never an ambient credential a page
    in a browser could ride on.
    """

    def __init__(self, server: Server[Any]) -> None:
        self.sse = StreamableHTTPSessionManager(server, stateless=True, json_response=False)
        self.json = StreamableHTTPSessionManager(server, stateless=True, json_response=True)

    @asynccontextmanager
    async def run(self) -> AsyncIterator[None]:
        async with self.sse.run(), self.json.run():
            yield

    def for_request(self, request: Request[Any, Any, Any]) -> StreamableHTTPSessionManager:
        """SSE when the caller accepts an event stream by name, else a single JSON response."""
        return self.sse if "text/event-stream" in media_types(request.headers.get("accept", "")) else self.json


@asynccontextmanager
async def mcp_lifespan(app: Litestar) -> AsyncIterator[None]:
    """The MCP session managers, started with the app (`app.state.mcp`)."""
    # The SDK logs every stateless request's transport ending at INFO ("Terminating session: None"): noise here.
    logging.getLogger("mcp.server.streamable_http").setLevel(logging.WARNING)
    servers = McpServers(build_server())
    async with servers.run():
        app.state.mcp = servers
        yield


async def serve_mcp(
    request: Request[Any, Any, Any], owner: str, repo: str, branch: str | None, context_id: str
) -> Response[Any]:
    """POST on a context's MCP URL: the key and the context checked here, the message answered by the SDK."""
    clients = context_clients(request)
    payer = await api_payer(request, clients.settings)
    target = await find_context(request, payer, owner, repo, branch, context_id)
    body = await checked_message(request)
    request.scope[SCOPE_KEY] = McpCall(request, payer, branch, context_id, target)  # type: ignore[literal-required]
    servers: McpServers = request.app.state.mcp
    return ASGIAppResponse(servers.for_request(request).handle_request, body)


def mcp_get_not_allowed() -> McpMethodNotAllowed:
    """GET on an MCP URL: this server is stateless and offers no standalone event stream."""
    return McpMethodNotAllowed(
        "This MCP server is stateless and has no event stream to GET: send each JSON-RPC message with POST.",
        headers={"Allow": ALLOW},
    )
