"""The MCP tool `ask`: a question answered with the context as the system message, billed to the caller's key.

It is POST …/context/{id}/chat/completions underneath (app.completions: reserve the worst case, stream from the
upstream, charge what it used, ledger), so money moves exactly as for an OpenAI SDK call. While the answer
streams, MCP progress notifications carry the text written since the last one (`progress` counts characters),
when the client asked for progress. Anything that stops the call (balance, key cap, upstream, the context) is a
tool error result that says why, never a protocol error.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from typing import TYPE_CHECKING, Any

import mcp_types as types

from app.clients import pick
from app.completions.relay import relay, start_stream
from app.completions.request import parse_call
from app.completions.service import CompletionClients, open_call
from app.context_api.clients import context_clients
from app.context_api.target import resolve_context_target
from app.errors import AppError

if TYPE_CHECKING:
    from app.context_api.mcp_server import McpCall

ReportProgress = Callable[[float, float | None, str | None], Awaitable[None]]

# Progress notifications are coalesced to at most one per this many seconds (a chunk can be a single token).
PROGRESS_EVERY_SECONDS = 0.1


def ask_tool(call: McpCall) -> types.Tool:
    """`ask` as tools/list shows it: the repository, the context's summary, the models it can use."""
    target = call.target
    repo = target.repo
    summary = str(target.entry.get("summary") or call.context_id)
    catalog = call.request.app.state.clients.catalog
    return types.Tool(
        name="ask",
        title=f"Ask {repo.owner}/{repo.name}",
        description=(
            f"Answer a question about the GitHub repository {repo.owner}/{repo.name} (branch {target.branch}) "
            f"with its context `{call.context_id}` ({summary}) as the system message. Billed to your API key."
        ),
        input_schema={
            "type": "object",
            "properties": {
                "prompt": {"type": "string", "minLength": 1, "description": "The question or instruction."},
                "model": {
                    "type": "string",
                    "enum": list(catalog.models),
                    "description": f"The model to answer with; default {target.model}.",
                },
            },
            "required": ["prompt"],
            "additionalProperties": False,
        },
        annotations=types.ToolAnnotations(read_only_hint=True, open_world_hint=False),
    )


async def ask(call: McpCall, arguments: dict[str, Any], report_progress: ReportProgress) -> types.CallToolResult:
    """The answer as text; progress while it streams; a tool error when the call cannot be made or breaks off."""
    prompt, model = arguments.get("prompt"), arguments.get("model")
    if not isinstance(prompt, str) or not prompt.strip():
        return tool_error("`prompt` is required: the question to answer, as a non-empty string.")
    if model is not None and not isinstance(model, str):
        return tool_error("`model` must be a string: one of the models tools/list names.")
    clients = context_clients(call.request)
    completion = pick(CompletionClients, vars(clients))
    try:
        target = await resolve_context_target(
            call.request,
            call.payer,
            call.target.repo.owner,
            call.target.repo.name,
            call.branch,
            call.context_id,
            model=model,  # the context is cut to fit the window of the model asked
        )
        body = {
            "messages": [{"role": "user", "content": prompt}],
            "stream": True,
            **({"model": model} if model else {}),
        }
        parsed = parse_call(
            json.dumps(body).encode(),
            clients.catalog,
            target.messages,
            default_model=target.model,
            context=target.address,
        )
        opened = await open_call(completion, parsed, call.payer)
        response, upstream = await start_stream(completion, opened)
    except AppError as exc:
        return tool_error(exc.detail)
    events: AsyncGenerator[bytes] = relay(completion, opened, response, upstream)  # type: ignore[assignment]
    async with aclosing(events):
        return await _collect(events, report_progress)


async def _collect(events: AsyncIterator[bytes], report_progress: ReportProgress) -> types.CallToolResult:
    """The relayed stream read back into text (the relay charges the call when it ends, however it ends)."""
    parts: list[str] = []
    unreported, written, last_report = "", 0, 0.0
    async for event in events:
        data = event.removeprefix(b"data: ").strip()
        if data == b"[DONE]":
            break
        chunk = json.loads(data)
        if chunk.get("error"):
            return tool_error(str(chunk["error"].get("message") or "The model provider failed."))
        for choice in chunk.get("choices") or ():
            content = (choice.get("delta") or {}).get("content")
            if choice.get("index", 0) == 0 and isinstance(content, str):
                parts.append(content)
                unreported += content
        if unreported and time.monotonic() - last_report >= PROGRESS_EVERY_SECONDS:
            written += len(unreported)
            await report_progress(written, None, unreported)
            unreported, last_report = "", time.monotonic()
    if unreported:
        await report_progress(written + len(unreported), None, unreported)
    return types.CallToolResult(content=[types.TextContent(text="".join(parts))])


def tool_error(message: str) -> types.CallToolResult:
    """A tool result that tells the model (and the person) what went wrong."""
    return types.CallToolResult(content=[types.TextContent(text=message)], is_error=True)
