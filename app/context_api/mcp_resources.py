"""The context text as an MCP resource: `contextjson://{owner}/{repo}/{branch}/context/{id}`.

One resource per server (a server is one context). Listing names it without building anything; reading builds
(or takes from the per-commit cache) exactly the context text `ask` sends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

import mcp_types as types
from mcp.shared.exceptions import MCPError

from app.context_api.target import resolve_context_target
from app.errors import AppError

if TYPE_CHECKING:
    from app.context_api.mcp_server import McpCall

RESOURCE_NOT_FOUND = -32002  # the MCP specification's code for an unknown resource URI
MIME_TYPE = "text/plain"


def resource_uri(call: McpCall) -> str:
    target = call.target
    branch = quote(target.branch, safe="/")
    return f"contextjson://{target.repo.owner}/{target.repo.name}/{branch}/context/{quote(call.context_id, safe='')}"


def list_resources(call: McpCall) -> types.ListResourcesResult:
    target = call.target
    repo = f"{target.repo.owner}/{target.repo.name}"
    resource = types.Resource(
        uri=resource_uri(call),
        name=f"{repo} context {call.context_id}",
        title=f"{repo} ({target.branch}): {target.entry.get('summary') or call.context_id}",
        description=f"The files of {repo} that the context `{call.context_id}` selects, as the model reads them.",
        mime_type=MIME_TYPE,
    )
    return types.ListResourcesResult(resources=[resource])


async def read_resource(call: McpCall, uri: str) -> types.ReadResourceResult:
    """The context text of the branch's current commit."""
    expected = resource_uri(call)
    if uri != expected:
        raise MCPError(RESOURCE_NOT_FOUND, f"Unknown resource `{uri}`; this server has one: `{expected}`.")
    repo = call.target.repo
    try:
        target = await resolve_context_target(
            call.request, call.payer, repo.owner, repo.name, call.branch, call.context_id
        )
    except AppError as exc:
        raise MCPError(types.INTERNAL_ERROR, exc.detail) from None
    contents = types.TextResourceContents(uri=expected, mime_type=MIME_TYPE, text=target.context_text)
    return types.ReadResourceResult(contents=[contents])
