"""OpenAI wire format for the fake LLM: error bodies, request validation and response objects."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

ROLES = {"system", "developer", "user", "assistant", "tool", "function"}
SYSTEM_FINGERPRINT = "fp_fakellm"


class LLMError(Exception):
    """An OpenAI-style error response: status, `{"error": {...}}` body and extra headers."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str | None = None,  # noqa: A002  (the wire field is called "type")
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = error_body(message, type or error_type(status), param, code)
        self.headers = dict(headers or {})


def error_type(status: int) -> str:
    """The `error.type` OpenAI uses for a status code."""
    if status == 429:
        return "requests"
    return "server_error" if status >= 500 else "invalid_request_error"


def error_body(message: str, type_: str, param: str | None = None, code: str | None = None) -> dict[str, Any]:
    """`{"error": {"message", "type", "param", "code"}}`."""
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


@dataclass(frozen=True)
class ChatParams:
    """The validated parts of a chat completion request the fake acts on."""

    model: str
    messages: list[dict[str, Any]]
    max_tokens: int | None
    stream: bool
    include_usage: bool


def parse_chat_request(raw: bytes, models: set[str]) -> ChatParams:
    """Validate a /chat/completions body like OpenAI does; raise LLMError (400/404) when invalid."""
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise LLMError(400, "We could not parse the JSON body of your request. Expected a JSON object.")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise LLMError(400, "you must provide a model parameter", param="model", code="missing_required_parameter")
    messages = _messages(body)
    max_tokens = _max_tokens(body)
    temperature = body.get("temperature")
    if temperature is not None and (not _is_number(temperature) or not 0 <= temperature <= 2):
        raise LLMError(400, f"Invalid 'temperature': {temperature!r}; expected 0..2.", param="temperature")
    stream = body.get("stream", False)
    if stream is None:
        stream = False
    if not isinstance(stream, bool):
        raise LLMError(400, f"Invalid type for 'stream': expected a boolean, got {stream!r}.", param="stream")
    include_usage = _include_usage(body, stream)
    if model not in models:
        raise LLMError(
            404,
            f"The model `{model}` does not exist or you do not have access to it.",
            code="model_not_found",
        )
    return ChatParams(model, messages, max_tokens, stream, include_usage)


def _messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    messages = body.get("messages")
    if messages is None:
        raise LLMError(
            400, "Missing required parameter: 'messages'.", param="messages", code="missing_required_parameter"
        )
    if not isinstance(messages, list) or not messages:
        raise LLMError(400, "Invalid 'messages': expected a non-empty array.", param="messages", code="invalid_value")
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            raise LLMError(400, f"Invalid value for 'messages[{i}].role'.", param=f"messages[{i}].role")
        content = message.get("content")
        # Only assistant turns (tool calls) may omit content.
        if not (isinstance(content, str | list) or (content is None and message["role"] == "assistant")):
            raise LLMError(400, f"Invalid type for 'messages[{i}].content'.", param=f"messages[{i}].content")
    return messages


def _max_tokens(body: dict[str, Any]) -> int | None:
    limit = None
    for name in ("max_tokens", "max_completion_tokens"):
        value = body.get(name)
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise LLMError(400, f"Invalid '{name}': {value!r}; expected an integer >= 1.", param=name)
        limit = value if limit is None else min(limit, value)
    return limit


def _include_usage(body: dict[str, Any], stream: bool) -> bool:
    options = body.get("stream_options")
    if options is None:
        return False
    if not stream:
        raise LLMError(
            400,
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
            param="stream_options",
            code="invalid_value",
        )
    if not isinstance(options, dict) or not isinstance(options.get("include_usage", False), bool):
        raise LLMError(400, "Invalid 'stream_options'.", param="stream_options")
    return bool(options.get("include_usage", False))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def usage(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    """The `usage` object."""
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def completion(id_: str, created: int, model: str, text: str, finish_reason: str, usage_: dict) -> dict[str, Any]:
    """A non-streaming `chat.completion` object."""
    return {
        "id": id_,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "system_fingerprint": SYSTEM_FINGERPRINT,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text, "refusal": None},
                "logprobs": None,
                "finish_reason": finish_reason,
            }
        ],
        "usage": usage_,
    }


def chunk(
    id_: str,
    created: int,
    model: str,
    delta: dict[str, Any] | None,
    finish_reason: str | None = None,
    *,
    include_usage: bool = False,
    usage_: dict[str, int] | None = None,
) -> dict[str, Any]:
    """A `chat.completion.chunk`; `delta=None` makes the usage-only chunk with `choices: []`."""
    data: dict[str, Any] = {
        "id": id_,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "system_fingerprint": SYSTEM_FINGERPRINT,
        "choices": []
        if delta is None
        else [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
    }
    # OpenAI sends `"usage": null` on every chunk but the last when usage was requested.
    if include_usage:
        data["usage"] = usage_
    return data


def sse(data: dict[str, Any] | str) -> bytes:
    """One server-sent event: `data: <json>` and a blank line."""
    payload = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    return f"data: {payload}\n\n".encode()


def models_list(models: set[str], created: int) -> dict[str, Any]:
    """GET /v1/models."""
    return {
        "object": "list",
        "data": [{"id": m, "object": "model", "created": created, "owned_by": "openai"} for m in sorted(models)],
    }
