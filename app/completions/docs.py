"""The OpenAPI description of the OpenAI-compatible routes: OpenAI's own shapes (the routes pass the
upstream's objects through, so these list the members every answer has, not all it may carry)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar.openapi.datastructures import ResponseSpec
from msgspec import Meta, Struct

from app.completions.errors import (
    InsufficientBalance,
    InvalidCompletionRequest,
    KeyCapReached,
    MissingApiKey,
    ModelNotFound,
    RateLimited,
    UpstreamFailed,
)
from app.errors import AppError
from app.openapi import (
    documented,
    documented_body,
    request_example,
    response_example,
    response_header,
    server_sent_events,
)
from app.problems.problem import title_for


class RequestMessage(Struct):
    """One message of the conversation, as OpenAI's API takes it (tool calls and content parts included)."""

    role: Annotated[str, Meta(description="`system`, `developer`, `user`, `assistant` or `tool`.")]
    content: Annotated[str | list[dict[str, Any]] | None, Meta(description="Text, or a list of content parts.")] = None


class StreamOptions(Struct):
    include_usage: Annotated[bool, Meta(description="true: a last chunk carries the call's `usage`.")] = False


class ChatCompletionRequest(Struct):
    """OpenAI's chat completion request. Standard parameters not listed here (`seed`, `stop`, `top_p`,
    `tool_choice`, …) are accepted and passed to the model as sent; only `store` is kept for this service."""

    model: Annotated[str, Meta(description="One of GET /v1/models.", examples=["gpt-4.1-mini"])]
    messages: Annotated[list[RequestMessage], Meta(min_length=1)]
    stream: Annotated[bool | None, Meta(description="true: server-sent `chat.completion.chunk` events.")] = None
    stream_options: StreamOptions | None = None
    store: Annotated[
        bool | None,
        Meta(description="true: the answer is kept at `/r/{id}` (header `X-Result-URL`); never sent upstream."),
    ] = None
    max_tokens: Annotated[int, Meta(ge=1, description="Output cap (also what is reserved).")] | None = None
    max_completion_tokens: Annotated[int, Meta(ge=1, description="Output cap; wins over `max_tokens`.")] | None = None
    temperature: float | None = None
    n: Annotated[int, Meta(ge=1, le=1, description="Only 1 is supported.")] | None = None
    tools: Annotated[list[dict[str, Any]] | None, Meta(description="Passed to the model as sent.")] = None
    response_format: Annotated[dict[str, Any] | None, Meta(description="Passed to the model as sent.")] = None


class OpenAIErrorBody(Struct):
    message: str
    type: Annotated[str, Meta(description="e.g. `authentication_error`, `insufficient_quota`, `rate_limit_error`.")]
    code: str | None
    param: str | None


class OpenAIError(Struct):
    """OpenAI's error shape, as its SDKs read it."""

    error: OpenAIErrorBody


class ChatMessage(Struct):
    role: str
    content: str | None


class ChatChoice(Struct):
    index: int
    message: ChatMessage
    finish_reason: str | None


class ChatUsage(Struct):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCompletion(Struct):
    """A `chat.completion` object; streamed calls send `chat.completion.chunk` events instead."""

    id: Annotated[str, Meta(description="With `store: true`: the result id (its page is `result_url`).")]
    object: str
    created: int
    model: str
    choices: list[ChatChoice]
    usage: ChatUsage | None = None
    result_url: Annotated[str | None, Meta(description="With `store: true`: the kept answer's page.")] = None


class Model(Struct):
    id: str
    object: str
    created: int
    owned_by: str


class ModelList(Struct):
    """OpenAI's model list."""

    object: str
    data: list[Model]


def openai_errors(*errors: type[AppError]) -> dict[int, ResponseSpec]:
    """The OpenAI-shaped errors a route answers, by status, naming their codes."""
    by_status: dict[int, list[str]] = {}
    for error in errors:
        by_status.setdefault(error.status_code, []).append(error.code)
    return openai_error_responses(by_status)


def openai_error_responses(by_status: dict[int, list[str]]) -> dict[int, ResponseSpec]:
    """OpenAI-shaped error responses from the codes each status may carry."""
    return {
        status: ResponseSpec(
            data_container=OpenAIError,
            generate_examples=False,
            description=f"{title_for(status)}: " + ", ".join(f"`{code}`" for code in sorted(codes)),
        )
        for status, codes in sorted(by_status.items())
    }


KEY_ERRORS: tuple[type[AppError], ...] = (MissingApiKey, RateLimited)
COMPLETION_ERRORS: tuple[type[AppError], ...] = (
    *KEY_ERRORS,
    InvalidCompletionRequest,
    ModelNotFound,
    InsufficientBalance,
    KeyCapReached,
    UpstreamFailed,
)
COMPLETION_RESPONSES: dict[int, ResponseSpec] = {
    200: ResponseSpec(
        ChatCompletion,
        generate_examples=False,
        description="The completion; with `stream: true`, server-sent `chat.completion.chunk` events ending with "
        "`data: [DONE]`. With `store: true` the header `X-Result-URL` names the kept answer's page.",
    ),
    **openai_errors(*COMPLETION_ERRORS),
}
MODELS_RESPONSES: dict[int, ResponseSpec] = {
    200: ResponseSpec(ModelList, generate_examples=False, description="The models this service offers."),
    **openai_errors(*KEY_ERRORS),
}

_REQUEST_EXAMPLE = {
    "model": "gpt-4.1-mini",
    "messages": [
        {"role": "system", "content": "You answer questions about the acme/widgets repository."},
        {"role": "user", "content": "How do I install it?"},
    ],
    "store": True,
    "max_tokens": 300,
}
_COMPLETION_EXAMPLE = {
    "id": "k3v9q2m8x4t7b1np",
    "object": "chat.completion",
    "created": 1764300000,
    "model": "gpt-4.1-mini",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Run `pip install widgets`, then `widgets init`."},
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 31, "completion_tokens": 12, "total_tokens": 43},
    "result_url": "https://contextjson.com/r/k3v9q2m8x4t7b1np",
}
_CHUNK_EXAMPLE = {
    "data": '{"id":"k3v9q2m8x4t7b1np","object":"chat.completion.chunk","created":1764300000,'
    '"model":"gpt-4.1-mini","choices":[{"index":0,"delta":{"role":"assistant","content":"Run "}}]}'
}
_MODELS_EXAMPLE = {
    "object": "list",
    "data": [{"id": "gpt-4.1-mini", "object": "model", "created": 0, "owned_by": "contextjson"}],
}
_ERROR_EXAMPLE = {
    "error": {
        "message": "You didn't provide an API key. Send it as `Authorization: Bearer <key>`.",
        "type": "authentication_error",
        "code": "invalid_api_key",
        "param": None,
    }
}
_KEY_HEADERS = (
    response_header(401, "WWW-Authenticate", "`Bearer`: send an API key.", required=True),
    response_header(429, "Retry-After", "Seconds until this key may call again.", required=True),
)
COMPLETION_OPERATION = documented(
    request_example(_REQUEST_EXAMPLE),
    response_example(200, _COMPLETION_EXAMPLE),
    server_sent_events(
        200,
        [],
        data="A `chat.completion.chunk` object as JSON; the last event is `[DONE]`. With `store: true` the final "
        "chunk carries `result_url`; with `stream_options.include_usage` a chunk before `[DONE]` carries `usage`.",
        example=_CHUNK_EXAMPLE,
    ),
    response_example(401, _ERROR_EXAMPLE),
    response_header(200, "X-Result-URL", "With `store: true`: the kept answer's page, `/r/{id}`."),
    response_header(200, "X-Cache", "`hit`: answered from a kept identical call (asked with `X-Cache: use`), free."),
    *_KEY_HEADERS,
)
MODELS_OPERATION = documented(
    response_example(200, _MODELS_EXAMPLE), response_example(401, _ERROR_EXAMPLE), *_KEY_HEADERS
)
COMPLETION_BODY = documented_body(ChatCompletionRequest)
