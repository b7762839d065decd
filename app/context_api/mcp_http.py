"""What an MCP POST must be before the SDK reads it: JSON that the caller can take back as JSON.

Checked here, not left to the SDK, so these refusals have the shape of every context URL's (OpenAI's error
shape, as documented in the OpenAPI document) and say what to send instead.
"""

from __future__ import annotations

import json
from typing import Any

from litestar import Request

from app.errors import AppError


class InvalidMcpMessage(AppError):
    status_code = 400
    code = "invalid_request_error"
    title = "Not a JSON-RPC message"


class McpNotAcceptable(AppError):
    status_code = 406
    code = "not_acceptable"
    title = "Not acceptable"


class McpUnsupportedMediaType(AppError):
    status_code = 415
    code = "unsupported_media_type"
    title = "Unsupported media type"


def media_types(header: str) -> set[str]:
    """The media types an Accept or Content-Type header names, without parameters."""
    return {part.split(";")[0].strip().lower() for part in header.split(",") if part.strip()}


async def checked_message(request: Request[Any, Any, Any]) -> bytes:
    """The body of an MCP POST: refused unless it is JSON and the caller accepts a JSON (or SSE) answer."""
    accepted = media_types(request.headers.get("accept", ""))
    if not accepted & {"application/json", "application/*", "*/*"}:
        raise McpNotAcceptable(
            "An MCP client must accept `application/json` (and `text/event-stream` for streamed answers with "
            "progress): send `Accept: application/json, text/event-stream`."
        )
    if "application/json" not in media_types(request.headers.get("content-type", "")):
        raise McpUnsupportedMediaType("Send the JSON-RPC message with `Content-Type: application/json`.")
    body = await request.body()
    try:
        message = json.loads(body)
    except ValueError as exc:
        raise InvalidMcpMessage(f"The request body is not valid JSON ({exc}); send one JSON-RPC message.") from None
    if not isinstance(message, dict | list):
        raise InvalidMcpMessage("The request body must be a JSON-RPC message (a JSON object).")
    return body
