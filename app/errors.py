"""One error base for the service: each error knows its HTTP status and a stable dotted code."""

from __future__ import annotations


class AppError(Exception):
    """Base of all expected errors; rendered as `{"error": code, "detail": message}`."""

    status_code = 400
    code = "error"

    def __init__(self, detail: str, *, code: str | None = None, status_code: int | None = None):
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        if status_code is not None:
            self.status_code = status_code


class Unauthorized(AppError):
    status_code = 401
    code = "unauthorized"


class NotFound(AppError):
    status_code = 404
    code = "not_found"


class BadRequest(AppError):
    status_code = 400
    code = "bad_request"


class PayloadTooLarge(AppError):
    status_code = 413
    code = "payload_too_large"
