"""Any exception → a Problem: status, stable dotted code, title, detail, headers, page links, extensions.

Expected errors (`AppError`) speak for themselves. Litestar's own `HTTPException`s (unknown route 404,
405, validation 400, 413 from a body limit, guards) get a dotted `http.*` code and words written here.
Anything else is an internal error: its message never reaches the client.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from litestar.exceptions import HTTPException, ValidationException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge

from app.errors import AppError

TITLES = {
    400: "Bad request",
    401: "Authentication required",
    402: "Payment required",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    413: "Request too large",
    422: "Cannot be processed",
    429: "Too many requests",
    500: "Something went wrong",
    502: "An upstream service failed",
    503: "Temporarily unavailable",
}
_HTTP_CODES = {
    400: "http.bad_request",
    401: "http.unauthorized",
    403: "http.forbidden",
    404: "http.not_found",
    405: "http.method_not_allowed",
    413: "http.payload_too_large",
    429: "http.too_many_requests",
    503: "http.unavailable",
}
_HTTP_DETAILS = {
    404: "Nothing is served at this address.",
    413: "The request body is larger than this address accepts.",
}
INTERNAL_DETAIL = "Something went wrong on our side; it has been logged."


@dataclass(frozen=True, slots=True)
class Problem:
    """What went wrong, independent of how it is shown."""

    status: int
    code: str
    title: str
    detail: str
    headers: Mapping[str, str] = field(default_factory=dict)
    links: Sequence[tuple[str, str]] = ()
    extensions: Mapping[str, Any] = field(default_factory=dict)


def title_for(status: int) -> str:
    """A short title for a status when the error has none of its own."""
    if status in TITLES:
        return TITLES[status]
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Request failed"


def problem_from(exc: Exception, method: str) -> Problem:
    """The Problem for an exception raised while answering a `method` request."""
    if isinstance(exc, AppError):
        return Problem(
            status=exc.status_code,
            code=exc.code,
            title=exc.title or title_for(exc.status_code),
            detail=exc.detail,
            headers=exc.headers,
            links=exc.links,
            extensions=exc.extensions(),
        )
    if isinstance(exc, HTTPException):
        return _http_problem(exc, method) if exc.status_code < 500 else internal_problem(exc.status_code)
    return internal_problem()


def internal_problem(status: int = 500) -> Problem:
    """An unexpected failure: a stable answer that says nothing about its cause."""
    code = "app.internal_error" if status == 500 else _HTTP_CODES.get(status, "http.error")
    return Problem(status=status, code=code, title=title_for(status), detail=INTERNAL_DETAIL)


def _http_problem(exc: HTTPException, method: str) -> Problem:
    status = exc.status_code
    headers = dict(exc.headers or {})
    extensions: dict[str, Any] = {}
    code = _HTTP_CODES.get(status, "http.error")
    detail = exc.detail
    if isinstance(exc, ValidationException):
        code = "http.invalid_request"
        if isinstance(exc.extra, list) and exc.extra:
            extensions["errors"] = exc.extra  # which parameter, and why (never a traceback)
    elif isinstance(exc, RequestEntityTooLarge) or detail == _phrase(status):
        detail = _HTTP_DETAILS.get(status, detail)
    if status == 405:
        allowed = headers.get("allow") or headers.get("Allow")
        detail = f"{method} is not allowed here" + (f"; this address answers {allowed}." if allowed else ".")
    return Problem(status, code, title_for(status), detail, headers=headers, extensions=extensions)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
