"""A Problem as a response: an HTML page, `application/problem+json` (RFC 9457), or OpenAI's error shape."""

from __future__ import annotations

import json
from typing import Any

from litestar.response import Response

from app.pages import html_response as page_response
from app.pages import message_page
from app.problems.problem import Problem

PROBLEM_JSON = "application/problem+json"
HOME_LINK = ("What is contextjson?", "/")
# The same address answers HTML or JSON depending on Accept, so shared caches must keep them apart.
_NEGOTIATED = {"Vary": "Accept"}


def problem_document(problem: Problem) -> dict[str, Any]:
    """RFC 9457 members, the dotted `code`, `error` (the same code, for clients of the earlier body), extensions."""
    return {
        **problem.extensions,
        "type": "about:blank",
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
        "code": problem.code,
        "error": problem.code,
    }


def problem_json_response(problem: Problem) -> Response[bytes]:
    """`application/problem+json`, for API clients and anything that does not prefer HTML."""
    body = json.dumps(problem_document(problem)).encode()
    headers = {**problem.headers, **_NEGOTIATED}
    return Response(body, status_code=problem.status, media_type=PROBLEM_JSON, headers=headers)


def html_response(problem: Problem) -> Response[str]:
    """A full page with the title, the detail and the problem's links, for browsers."""
    page = message_page(problem.title, problem.detail, links=[*problem.links, HOME_LINK])
    headers = {**problem.headers, **_NEGOTIATED}
    return page_response(page, status_code=problem.status, headers=headers)


def openai_error_type(status: int) -> str:
    """The `type` OpenAI-compatible clients expect for a status."""
    return _OPENAI_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")


_OPENAI_TYPES = {
    401: "authentication_error",
    402: "insufficient_quota",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
    503: "service_unavailable_error",
}


# Codes shared with the rest of the service, as OpenAI's clients know them.
_OPENAI_CODES = {"auth.invalid_api_key": "invalid_api_key", "http.invalid_request": "invalid_request_error"}


def openai_response(problem: Problem) -> Response[bytes]:
    """`{"error": {"message", "type", "code", "param"}}`, as the OpenAI API (and its SDKs) speak it."""
    code = _OPENAI_CODES.get(problem.code, problem.code)
    error = {"message": problem.detail, "type": openai_error_type(problem.status), "code": code, "param": None}
    body = json.dumps({"error": error}).encode()
    return Response(body, status_code=problem.status, media_type="application/json", headers=dict(problem.headers))
