"""The problems every /api route may answer for who is asking, for their OpenAPI `responses=`."""

from __future__ import annotations

from app.api_keys.authenticator import InvalidApiKey
from app.auth.errors import CsrfFailed, LoginRequired
from app.openapi import codes_by_status

# Not signed in (no session cookie, no API key), or a bearer token that is not a live key.
READ_PROBLEMS = codes_by_status(LoginRequired, InvalidApiKey)
# Also: a change sent with the session cookie but without its CSRF token.
WRITE_PROBLEMS = codes_by_status(LoginRequired, InvalidApiKey, CsrfFailed)
