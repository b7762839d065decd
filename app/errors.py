"""One error base for the service: each error knows its HTTP status, a stable dotted code and its words.

`app.problems` turns any of them into a response (an HTML page for browsers, `application/problem+json`
otherwise, OpenAI's error shape on the OpenAI-compatible routes); nothing else renders errors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class AppError(Exception):
    """Base of all expected errors: status, dotted code, title, detail, and optional headers and page links.

    `detail` is written for the person who reads it: it is shown as is, so it never holds internals.
    `links` are (text, href) pairs offered on the HTML page; `retry_after` (seconds) becomes a
    `Retry-After` header and a `retry_after` member.
    """

    status_code = 400
    code = "app.error"
    title: str | None = None  # None: a title for the status (see app.problems.problem)

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        status_code: int | None = None,
        title: str | None = None,
        headers: Mapping[str, str] | None = None,
        links: Sequence[tuple[str, str]] = (),
        retry_after: int | None = None,
    ):
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        if status_code is not None:
            self.status_code = status_code
        if title is not None:
            self.title = title
        self.extra_headers = dict(headers or {})
        self.links = list(links)
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        """Response headers this error asks for."""
        if self.retry_after:
            return {**self.extra_headers, "Retry-After": str(self.retry_after)}
        return self.extra_headers

    def extensions(self) -> dict[str, Any]:
        """Extra members of the problem document (RFC 9457 extension members)."""
        return {"retry_after": self.retry_after} if self.retry_after else {}


class RedirectInstead(Exception):
    """Not an error: where no response can be returned (a guard), send the client to `location` (303)."""

    def __init__(self, location: str):
        super().__init__(location)
        self.location = location


class Unauthorized(AppError):
    status_code = 401
    code = "http.unauthorized"


class Forbidden(AppError):
    status_code = 403
    code = "http.forbidden"


class NotFound(AppError):
    status_code = 404
    code = "http.not_found"


class BadRequest(AppError):
    status_code = 400
    code = "http.bad_request"


class PayloadTooLarge(AppError):
    status_code = 413
    code = "http.payload_too_large"
