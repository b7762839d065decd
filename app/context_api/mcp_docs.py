"""The OpenAPI description of a context's MCP URL: JSON-RPC answers from the SDK, our refusals in OpenAI's shape
(as every context URL answers them, before any MCP message is read)."""

from __future__ import annotations

from typing import Any

from litestar.openapi.datastructures import ResponseSpec
from msgspec import Struct

from app.completions.docs import KEY_ERRORS, openai_error_responses
from app.context_api.docs import CONTEXT_CODES
from app.context_api.mcp_http import InvalidMcpMessage, McpNotAcceptable, McpUnsupportedMediaType
from app.errors import AppError
from app.openapi import documented, documented_body, request_example, response_example, server_sent_events


class McpMethodNotAllowed(AppError):
    status_code = 405
    code = "method_not_allowed"
    title = "Method not allowed"


class JsonRpcRequest(Struct):
    """One JSON-RPC 2.0 message of MCP (`initialize`, `tools/list`, `tools/call`, `resources/read`, …)."""

    jsonrpc: str
    method: str
    id: int | str | None = None  # none: a notification, answered 202 with no body
    params: dict[str, Any] | None = None


class JsonRpcError(Struct):
    code: int
    message: str
    data: Any = None


class JsonRpcResponse(Struct):
    """A JSON-RPC 2.0 response to one MCP request (in SSE mode, the last `message` event carries it)."""

    jsonrpc: str
    id: int | str | None
    result: dict[str, Any] | None = None
    error: JsonRpcError | None = None


def _refusals() -> dict[int, list[str]]:
    by_status = {status: list(codes) for status, codes in CONTEXT_CODES.items() if status != 400}  # tree form only
    errors: tuple[type[AppError], ...] = (*KEY_ERRORS, InvalidMcpMessage, McpNotAcceptable, McpUnsupportedMediaType)
    for error in errors:
        by_status.setdefault(error.status_code, []).append(error.code)
    return by_status


MCP_POST_RESPONSES: dict[int, ResponseSpec] = {
    200: ResponseSpec(
        JsonRpcResponse,
        generate_examples=False,
        description="The JSON-RPC response; `text/event-stream` (progress notifications, then the response) when the "
        "request accepts it. A notification is answered 202 with no body.",
    ),
    **openai_error_responses(_refusals()),
}
MCP_GET_RESPONSES = openai_error_responses({400: ["invalid_request_error"], 405: [McpMethodNotAllowed.code]})

_CALL = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "tools/call",
    "params": {"name": "ask", "arguments": {"prompt": "Where is the widget defined?"}, "_meta": {"progressToken": 1}},
}
_ANSWER = {
    "jsonrpc": "2.0",
    "id": 1,
    "result": {"content": [{"type": "text", "text": "In src/widgets.py."}], "isError": False},
}
MCP_BODY = documented_body(JsonRpcRequest)
MCP_OPERATION = documented(
    request_example(_CALL),
    response_example(200, _ANSWER),
    server_sent_events(
        200,
        ["message"],
        data="A JSON-RPC message: `notifications/progress` while the answer is written, then the response.",
        example={"event": "message", "data": '{"jsonrpc":"2.0","id":1,"result":{"content":[],"isError":false}}'},
    ),
)
