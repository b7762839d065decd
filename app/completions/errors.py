"""What the OpenAI-compatible routes answer when something is wrong: OpenAI's statuses and `code` values."""

from __future__ import annotations

from app.errors import AppError


class MissingApiKey(AppError):
    status_code = 401
    code = "invalid_api_key"
    title = "No API key"


class InvalidCompletionRequest(AppError):
    status_code = 400
    code = "invalid_request_error"


class ModelNotFound(AppError):
    status_code = 404
    code = "model_not_found"


class InsufficientBalance(AppError):
    status_code = 402
    code = "insufficient_quota"


class KeyCapReached(AppError):
    status_code = 402
    code = "key_monthly_cap_reached"


class RateLimited(AppError):
    status_code = 429
    code = "rate_limit_exceeded"


class UpstreamFailed(AppError):
    status_code = 502
    code = "upstream_error"
