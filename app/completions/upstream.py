"""The upstream's answers as the caller sees them: its errors mapped to OpenAI's statuses, usage estimated
when the upstream sends none."""

from __future__ import annotations

import json
import logging

import httpx

from app.completions.errors import InvalidCompletionRequest, RateLimited, UpstreamFailed
from app.errors import AppError
from app.llm import Usage
from app.repo_context.tokens import estimate_text_tokens

log = logging.getLogger("contextjson.completions")

_ERROR_BODY_LIMIT = 16 * 1024
_CALLER_ERRORS = frozenset({400, 404, 413, 422})  # the upstream judged the request itself: the caller can fix it


async def upstream_error(response: httpx.Response) -> AppError:
    """The caller's error for an upstream's non-2xx answer (its 4xx words are passed on, never 5xx details)."""
    status = response.status_code
    message = _message(await _read_some(response))
    if status == 429:
        return RateLimited(
            f"The model provider is rate limiting requests: {message or 'try again shortly'}.",
            retry_after=_retry_after(response.headers.get("retry-after")),
        )
    if status in _CALLER_ERRORS:
        return InvalidCompletionRequest(f"The model provider refused the request: {message or f'HTTP {status}'}")
    log.warning("completions.upstream_failed status=%d detail=%s", status, message[:300])
    return UpstreamFailed(f"The model provider returned an error (HTTP {status}).")


def transport_error(exc: Exception) -> UpstreamFailed:
    """The caller's error for an upstream that timed out, could not be reached, or answered garbage."""
    log.warning("completions.upstream_unreachable error=%r", exc)
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        return UpstreamFailed("The model provider did not answer in time.")
    if isinstance(exc, httpx.HTTPError):
        return UpstreamFailed("The model provider could not be reached.")
    return UpstreamFailed("The model provider sent a response that is not a chat completion.")


def usage_or_estimate(usage: Usage | None, prompt_estimate: int, text: str) -> Usage:
    """The upstream's usage; without one (some servers omit it), our estimate of what was read and written."""
    return usage if usage is not None else Usage(prompt_estimate, estimate_text_tokens(text))


async def _read_some(response: httpx.Response) -> bytes:
    data = bytearray()
    try:
        async for piece in response.aiter_bytes():
            data += piece
            if len(data) >= _ERROR_BODY_LIMIT:
                break
    except httpx.HTTPError:
        pass  # the status alone still says what went wrong
    return bytes(data[:_ERROR_BODY_LIMIT])


def _message(body: bytes) -> str:
    try:
        payload = json.loads(body)
    except ValueError:
        return ""
    error = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return str(error["message"])[:500]
    return ""


def _retry_after(value: str | None) -> int:
    try:
        return max(1, min(int(float(value or "1")), 3600))
    except ValueError:
        return 1
