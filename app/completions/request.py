"""Reading a chat completion request: checked enough to bill it, otherwise passed to the upstream as sent.

Standard parameters (tools, response_format, temperature, seed, …) travel untouched; only `store` is removed
(it means "keep a result page" here, and the upstream must not keep anything), and streamed requests always
ask the upstream for the final usage chunk, which is what billing charges.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from app.completions.errors import InvalidCompletionRequest, ModelNotFound
from app.models_catalog import ModelCatalog
from app.repo_context.tokens import estimate_tokens

# Fields that change how an answer is delivered or kept, not what it says: left out of the cache key.
_DELIVERY_FIELDS = frozenset({"stream", "stream_options", "store", "user", "metadata"})
# Per-message overhead of the chat format (role markers), counted into the prompt estimate.
_TOKENS_PER_MESSAGE = 4


@dataclass(frozen=True)
class CompletionCall:
    model: str
    upstream_body: dict[str, Any]
    stream: bool
    include_usage: bool  # the caller asked for the usage chunk (stream_options.include_usage)
    store: bool
    prompt_tokens: int  # an estimate, for the reservation; the upstream's usage is what is charged
    max_output_tokens: int  # the most the answer may cost in output tokens
    cache_key: str
    # What a stored call keeps of the request: the caller's messages (never a context's system message, which
    # holds a whole repository), and for a context base URL the context asked (`context`).
    kept_request: dict[str, Any]


def parse_call(
    raw: bytes,
    catalog: ModelCatalog,
    context_messages: list[dict[str, str]] | None = None,
    *,
    default_model: str | None = None,
    context: dict[str, Any] | None = None,
) -> CompletionCall:
    """The call in `raw` (a JSON body); `context_messages` go first (a context's system message).

    `default_model` is used when the body names none (a context's model); `context` says which context was
    asked, kept with a stored call.
    """
    body = _json_object(raw)
    if default_model and body.get("model") in (None, ""):
        body["model"] = default_model
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise _invalid("`model` is required: one of GET /v1/models.")
    if model not in catalog:
        raise ModelNotFound(f"The model `{model}` does not exist here; GET /v1/models lists the models you can use.")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages or not all(_is_message(m) for m in messages):
        raise _invalid("`messages` must be a non-empty list of objects with a `role`.")
    if body.get("n", 1) != 1:
        raise _invalid("Only `n: 1` is supported.")
    stream, store = _flag(body, "stream"), _flag(body, "store")
    options = body.get("stream_options")
    include_usage = stream and isinstance(options, dict) and options.get("include_usage") is True
    upstream = {key: value for key, value in body.items() if key != "store"}
    kept: dict[str, Any] = {"messages": messages, **({"context": context} if context else {})}
    if context_messages:
        upstream["messages"] = [*context_messages, *messages]
    if stream:
        upstream["stream_options"] = {**(options if isinstance(options, dict) else {}), "include_usage": True}
    price = catalog.get(model)
    cap = _output_cap(body)
    max_output = min(cap, price.max_output_tokens) if cap is not None else price.max_output_tokens
    return CompletionCall(
        model=model,
        upstream_body=upstream,
        stream=stream,
        include_usage=include_usage,
        store=store,
        prompt_tokens=_prompt_estimate(upstream),
        max_output_tokens=max_output,
        cache_key=_cache_key(upstream),
        kept_request=kept,
    )


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw)
    except ValueError:
        raise _invalid("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise _invalid("The request body must be a JSON object.")
    return body


def _is_message(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("role"), str)


def _flag(body: dict[str, Any], name: str) -> bool:
    value = body.get(name)
    if value is not None and not isinstance(value, bool):
        raise _invalid(f"`{name}` must be true or false.")
    return bool(value)


def _output_cap(body: dict[str, Any]) -> int | None:
    for name in ("max_completion_tokens", "max_tokens"):
        value = body.get(name)
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise _invalid(f"`{name}` must be a positive integer.")
        return value
    return None


def _prompt_estimate(upstream: dict[str, Any]) -> int:
    """Tokens of everything the model reads: messages, tools and the response format."""
    read = {key: upstream[key] for key in ("messages", "tools", "functions", "response_format") if key in upstream}
    text = json.dumps(read, ensure_ascii=False)
    return estimate_tokens(text.encode(), len(text)) + _TOKENS_PER_MESSAGE * len(upstream["messages"])


def _cache_key(upstream: dict[str, Any]) -> str:
    what = {key: value for key, value in upstream.items() if key not in _DELIVERY_FIELDS}
    canonical = json.dumps(what, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "api:" + hashlib.sha256(canonical.encode()).hexdigest()


def _invalid(message: str) -> InvalidCompletionRequest:
    return InvalidCompletionRequest(message)
