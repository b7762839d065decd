"""Reading OpenAI chat completion payloads: stream chunks, whole completions and usage."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from app.llm.errors import AttemptFailed, MalformedPayload, stream_error
from app.llm.types import Usage


@dataclass(frozen=True)
class Chunk:
    """What one `chat.completion.chunk` contributes."""

    content: str
    finish_reason: str | None
    usage: Usage | None
    progress: bool  # the model produced something (more than the opening role-only chunk)


def parse_json_object(data: str | bytes, what: str) -> dict[str, Any]:
    """`data` as a JSON object; a malformed payload is a (retryable) failure of this attempt."""
    try:
        payload = json.loads(data)
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        raise MalformedPayload(f"malformed {what} from upstream")
    return payload


def parse_chunk(payload: dict[str, Any]) -> Chunk:
    """The content delta, finish reason and usage of a stream chunk; an error event raises AttemptFailed."""
    if "error" in payload and payload["error"]:
        raise stream_error(payload)
    choice = first_choice(payload)
    delta = choice.get("delta")
    delta = delta if isinstance(delta, dict) else {}
    content = delta.get("content")
    content = content if isinstance(content, str) else ""
    finish_reason = _finish_reason(choice)
    usage = parse_usage(payload.get("usage"))
    # Reasoning or tool-call deltas count as progress too, so a thinking model is not taken for a stalled one.
    produced = any(value for key, value in delta.items() if key != "role")
    return Chunk(content, finish_reason, usage, produced or finish_reason is not None or usage is not None)


def parse_completion(payload: dict[str, Any]) -> tuple[str, str | None, Usage | None]:
    """Text, finish reason and usage of a non-streamed `chat.completion`."""
    if "error" in payload and payload["error"]:
        raise stream_error(payload)
    choice = first_choice(payload)
    message = choice.get("message")
    if not isinstance(message, dict):
        raise AttemptFailed("malformed completion from upstream: no choices[0].message")
    content = message.get("content")
    return (content if isinstance(content, str) else ""), _finish_reason(choice), parse_usage(payload.get("usage"))


def first_choice(payload: dict[str, Any]) -> dict[str, Any]:
    """The choice with index 0 ({} when there is none, as in the final usage-only chunk)."""
    choices = payload.get("choices")
    if not isinstance(choices, list):
        return {}
    candidates = [c for c in choices if isinstance(c, dict)]
    return next((c for c in candidates if c.get("index", 0) == 0), {})


def parse_usage(value: Any) -> Usage | None:
    """`usage` with integer prompt and completion counts, else None (streams send `"usage": null` until the end)."""
    if not isinstance(value, dict):
        return None
    prompt, completion = _count(value.get("prompt_tokens")), _count(value.get("completion_tokens"))
    if prompt is None or completion is None:
        return None
    return Usage(prompt_tokens=prompt, completion_tokens=completion)


def _finish_reason(choice: dict[str, Any]) -> str | None:
    reason = choice.get("finish_reason")
    return reason if isinstance(reason, str) and reason else None


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
