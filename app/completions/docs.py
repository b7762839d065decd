"""The OpenAPI description of the OpenAI-compatible routes: OpenAI's own shapes (the routes pass the
upstream's objects through, so these list the members every answer has, not all it may carry)."""

from __future__ import annotations

from typing import Annotated

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
from app.problems.problem import title_for


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
