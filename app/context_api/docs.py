"""The OpenAPI description of the context base URLs: the completion routes' answers plus the context's refusals."""

from __future__ import annotations

from typing import Annotated, Any

from litestar.openapi.datastructures import ResponseSpec
from msgspec import Meta, Struct

from app.completions.docs import (
    COMPLETION_ERRORS,
    COMPLETION_RESPONSES,
    KEY_ERRORS,
    MODELS_RESPONSES,
    RequestMessage,
    StreamOptions,
    openai_error_responses,
)
from app.errors import AppError
from app.openapi import documented_body

# What resolving a context may answer (app.context_api.errors: the visitor link's reasons, OpenAI-style codes).
CONTEXT_CODES: dict[int, list[str]] = {
    400: ["invalid_branch"],
    404: ["repo_not_found", "not_installed", "branch_not_found", "no_context_file", "context_not_found"],
    422: ["context_invalid"],
    429: ["branch_lookups_limited"],
    502: ["github_unavailable"],
    503: ["snapshots_busy"],
}


def _with_context(errors: tuple[type[AppError], ...]) -> dict[int, ResponseSpec]:
    by_status = {status: list(codes) for status, codes in CONTEXT_CODES.items()}
    for error in errors:
        by_status.setdefault(error.status_code, []).append(error.code)
    return openai_error_responses(by_status)


CONTEXT_COMPLETION_RESPONSES = {200: COMPLETION_RESPONSES[200], **_with_context(COMPLETION_ERRORS)}
CONTEXT_MODELS_RESPONSES = {200: MODELS_RESPONSES[200], **_with_context(KEY_ERRORS)}
EXPLANATION_RESPONSES = {
    200: ResponseSpec(
        str,
        media_type="text/plain",
        generate_examples=False,
        description="How to use this base URL: a curl and a Python (`openai`) example, and the MCP address.",
    ),
    **openai_error_responses({401: ["invalid_api_key"], **CONTEXT_CODES}),
}


class ContextChatCompletionRequest(Struct):
    """A chat completion asked of a context: as `/v1/chat/completions`, except that `model` may be left out (the
    context's model is used) and the context comes first as the system message. Other standard parameters are
    passed to the model as sent."""

    messages: Annotated[list[RequestMessage], Meta(min_length=1)]
    model: Annotated[str | None, Meta(description="One of GET …/v1/models; default: the context's model.")] = None
    stream: Annotated[bool | None, Meta(description="true: server-sent `chat.completion.chunk` events.")] = None
    stream_options: StreamOptions | None = None
    store: Annotated[bool | None, Meta(description="true: the answer is kept at `/r/{id}` (`X-Result-URL`).")] = None
    max_tokens: Annotated[int, Meta(ge=1, description="Output cap (also what is reserved).")] | None = None
    max_completion_tokens: Annotated[int, Meta(ge=1, description="Output cap; wins over `max_tokens`.")] | None = None
    temperature: float | None = None
    tools: Annotated[list[dict[str, Any]] | None, Meta(description="Passed to the model as sent.")] = None
    response_format: Annotated[dict[str, Any] | None, Meta(description="Passed to the model as sent.")] = None


CONTEXT_COMPLETION_BODY = documented_body(ContextChatCompletionRequest)
