"""What can go wrong while logging in, each with its status, dotted code and words for the person."""

from __future__ import annotations

from app.errors import AppError


class LoginNotConfigured(AppError):
    status_code = 503
    code = "login.not_configured"
    title = "Login with GitHub is not configured"


class LoginDenied(AppError):
    status_code = 403
    code = "login.denied"
    title = "Login cancelled"


class LoginStateMismatch(AppError):
    status_code = 400
    code = "login.state_mismatch"
    title = "This login link is not valid"


class LoginFailed(AppError):
    status_code = 502
    code = "login.github_failed"
    title = "GitHub did not complete the login"


class LoginRequired(AppError):
    status_code = 401
    code = "auth.login_required"
    title = "Log in to continue"


class CsrfFailed(AppError):
    status_code = 403
    code = "auth.csrf_failed"
    title = "This form has expired"
