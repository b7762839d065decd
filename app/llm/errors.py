"""Upstream failures: the final UpstreamError, the per-attempt failure, and how HTTP errors are described."""

from __future__ import annotations

import json
import socket
import time
from email.utils import parsedate_to_datetime

import httpx

RETRYABLE_STATUSES = frozenset({408, 409, 429})
# OpenAI answers an exhausted account with 429 too, but that will not change within a retry window.
_FINAL_ERROR_CODES = frozenset({"insufficient_quota"})
_RETRY_AFTER_STATUSES = frozenset({429, 503})
_SNIPPET_CHARS = 200


class UpstreamError(Exception):
    """The upstream failed for good (after retries, or at once when retrying cannot help)."""

    def __init__(self, message: str, *, status: int | None = None, retryable: bool, attempts: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.retryable = retryable
        self.attempts = attempts


class AttemptFailed(Exception):
    """One attempt failed; the retry loop decides whether another one is made."""

    def __init__(
        self, message: str, *, status: int | None = None, retryable: bool = True, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.retryable = retryable
        self.retry_after = retry_after

    def final(self, attempts: int) -> UpstreamError:
        """This failure as the caller's UpstreamError."""
        return UpstreamError(self.message, status=self.status, retryable=self.retryable, attempts=attempts)


class MalformedPayload(AttemptFailed):
    """The upstream sent JSON this client cannot read (retried: it is usually a truncated or garbled body)."""


def is_retryable_status(status: int) -> bool:
    """408/409/429 and 5xx are worth another attempt; other statuses will not change on a retry."""
    return status in RETRYABLE_STATUSES or status >= 500


def status_failure(response: httpx.Response, content: bytes) -> AttemptFailed:
    """The failure for a non-2xx response whose (error) body is `content`."""
    status = response.status_code
    retry_after = parse_retry_after(response.headers) if status in _RETRY_AFTER_STATUSES else None
    message = error_message(content) or f"HTTP {status} {response.reason_phrase}".strip()
    retryable = is_retryable_status(status) and _error_code(content) not in _FINAL_ERROR_CODES
    return AttemptFailed(message, status=status, retryable=retryable, retry_after=retry_after)


def _error_code(content: bytes) -> object:
    try:
        payload = json.loads(content)
    except ValueError:
        return None
    error = payload.get("error") if isinstance(payload, dict) else None
    return error.get("code") if isinstance(error, dict) else None


def error_message(content: bytes) -> str | None:
    """The upstream's own message: OpenAI's `error.message`, common variants, else a snippet of the body."""
    text = content.decode("utf-8", "replace").strip()
    try:
        payload = json.loads(text)
    except ValueError:
        return text[:_SNIPPET_CHARS] or None
    return payload_message(payload) or text[:_SNIPPET_CHARS] or None


def payload_message(payload: object) -> str | None:
    """`error.message` (or `error` as a string, `message`, `detail`) of a JSON error payload."""
    if not isinstance(payload, dict):
        return None
    error = payload.get("error")
    if isinstance(error, dict):
        error = error.get("message")
    for candidate in (error, payload.get("message"), payload.get("detail")):
        if isinstance(candidate, str) and candidate.strip():
            return candidate.strip()
    return None


def stream_error(payload: dict[str, object]) -> AttemptFailed:
    """The failure for an `{"error": {...}}` event sent inside a 200 stream."""
    error = payload.get("error")
    fields = error if isinstance(error, dict) else {}
    message = payload_message(payload) or "upstream reported an error mid-stream"
    code = fields.get("code")
    # Some servers put the HTTP status they would have used in `code`; without one, a mid-stream error is
    # nearly always overload or an internal fault, so it is retried unless its type says the request is bad.
    status = code if isinstance(code, int) and 400 <= code <= 599 else None
    if status is not None:
        return AttemptFailed(message, status=status, retryable=is_retryable_status(status))
    bad_request = fields.get("type") in {"invalid_request_error", "authentication_error", "permission_error"}
    return AttemptFailed(message, retryable=not bad_request)


def parse_retry_after(headers: httpx.Headers) -> float | None:
    """Seconds to wait from `retry-after-ms` or `retry-after` (seconds or an HTTP date); None if absent/invalid."""
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(float(millis) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        return max(parsedate_to_datetime(value).timestamp() - time.time(), 0.0)
    except (TypeError, ValueError):
        return None


def transport_failure(exc: httpx.TransportError, *, connect_timeout: float, in_body: bool) -> AttemptFailed:
    """A retryable failure describing a network-level error in plain words."""
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.ConnectTimeout):
        return AttemptFailed(f"connect timed out after {connect_timeout:g} s")
    if isinstance(exc, httpx.ConnectError):
        return AttemptFailed(_connect_error_message(exc))
    if in_body:
        return AttemptFailed(f"stream ended before completion: {detail}")
    return AttemptFailed(f"connection error: {detail}")


def _connect_error_message(exc: BaseException) -> str:
    # httpx wraps the OS error several times (anyio even replaces it with "All connection attempts failed"),
    # so look down the whole chain for the cause a reader can act on.
    for cause in _causes(exc):
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, socket.gaierror):
            return f"cannot resolve host: {cause.strerror or cause}"
    return f"connection failed: {exc or type(exc).__name__}"


def _causes(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    pending = [exc]
    while pending:
        current = pending.pop()
        if any(current is s for s in seen):
            continue
        seen.append(current)
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
    return seen
