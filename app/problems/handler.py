"""The exception handler registered in create_app: one Problem per exception, rendered for the client.

OpenAI-compatible routes always answer in OpenAI's error shape (their clients are SDKs); a route says so
with `opt={"errors": OPENAI_ERRORS}` (on the handler or its Router). An address no route answers (404,
405) is judged by its path. Everything else is negotiated by `accept.prefers_html`, except addresses that
name a data format (`.json`, `.md`, `.txt`), which always get problem+json.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from litestar import Request
from litestar.exceptions import HTTPException
from litestar.response import Redirect, Response
from litestar.types import ExceptionHandlersMap

from app.errors import AppError, RedirectInstead
from app.problems.accept import prefers_html
from app.problems.problem import Problem, problem_from
from app.problems.render import html_response, openai_response, problem_json_response

log = logging.getLogger("contextjson")

OPENAI_ERRORS = "openai"
# /v1/…, /chat/completions, and the per-context …/context/{id}[/v1]/chat/completions of DESIGN's routes.
# An address that names a data format (/r/ID.json, .md, .txt) gets JSON even in a browser: whoever asks
# for .json wants data, not a page.
_DATA_SUFFIX = re.compile(r"\.(?:json|md|txt)$")
_OPENAI_PATH = re.compile(r"^/(?:v1(?:/|$)|(?:[^/]+/[^/]+/(?:tree/.+/)?context/[^/]+/)?(?:v1/)?chat/completions$)")


def handle_exception(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Every error the app answers goes through here."""
    problem = problem_from(exc, request.method)
    _log(request, exc, problem)
    if _openai_route(request):
        return openai_response(problem)
    if prefers_html(request.headers.get("accept")) and not _DATA_SUFFIX.search(request.url.path):
        return html_response(problem)
    return problem_json_response(problem)


def _openai_route(request: Request[Any, Any, Any]) -> bool:
    handler = request.scope.get("route_handler")
    if handler is not None:
        return bool(handler.opt.get("errors") == OPENAI_ERRORS)
    return _OPENAI_PATH.match(request.url.path) is not None


def _log(request: Request[Any, Any, Any], exc: Exception, problem: Problem) -> None:
    if isinstance(exc, AppError):
        if problem.status >= 500:
            log.warning("http.app_error code=%s path=%s detail=%s", problem.code, request.url.path, exc.detail)
    elif not isinstance(exc, HTTPException) or problem.status >= 500:
        # Unexpected: the traceback goes to the log, never into the response.
        log.error("http.internal_error path=%s", request.url.path, exc_info=exc)


def redirect_instead(_request: Request[Any, Any, Any], exc: RedirectInstead) -> Response[Any]:
    """A guard sent the client elsewhere (an anonymous visitor of a page, to /login)."""
    return Redirect(exc.location, status_code=303)


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    Exception: handle_exception,
    RedirectInstead: redirect_instead,  # type: ignore[dict-item]
}
