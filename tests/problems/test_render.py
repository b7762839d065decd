"""The three renderings of a Problem: problem+json (RFC 9457), the HTML page, and OpenAI's error shape."""

from __future__ import annotations

import json

import pytest

from app.errors import AppError
from app.links.errors import BudgetExhausted, RateLimited
from app.problems.problem import Problem, problem_from
from app.problems.render import html_response, openai_error_type, openai_response, problem_json_response

LIMITED = Problem(
    status=429,
    code="link.rate_limited",
    title="Too many new answers from your address",
    detail="You have started many new answers recently. Try again later.",
    headers={"Retry-After": "30"},
    links=[("Read the last answer (older)", "/r/abcdefgh?older=rate_limited")],
    extensions={"retry_after": 30},
)


def test_openai_shape() -> None:
    resp = openai_response(LIMITED)
    assert (resp.status_code, resp.media_type, resp.headers["Retry-After"]) == (429, "application/json", "30")
    assert json.loads(resp.content) == {
        "error": {
            "message": "You have started many new answers recently. Try again later.",
            "type": "rate_limit_error",
            "code": "link.rate_limited",
            "param": None,
        }
    }


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, "invalid_request_error"),
        (401, "authentication_error"),
        (402, "insufficient_quota"),
        (403, "permission_error"),
        (404, "not_found_error"),
        (413, "invalid_request_error"),
        (429, "rate_limit_error"),
        (500, "server_error"),
        (502, "server_error"),
        (503, "service_unavailable_error"),
    ],
)
def test_openai_error_types(status: int, kind: str) -> None:
    assert openai_error_type(status) == kind


def test_problem_json_document() -> None:
    resp = problem_json_response(LIMITED)
    assert (resp.status_code, resp.media_type) == (429, "application/problem+json")
    assert (resp.headers["Retry-After"], resp.headers["Vary"]) == ("30", "Accept")
    assert json.loads(resp.content) == {
        "type": "about:blank",
        "title": "Too many new answers from your address",
        "status": 429,
        "detail": "You have started many new answers recently. Try again later.",
        "code": "link.rate_limited",
        "error": "link.rate_limited",
        "retry_after": 30,
    }


def test_html_page_offers_the_links_and_escapes_the_words() -> None:
    problem = Problem(404, "x.y", "Not <found>", "No <script> here", links=[("Older", "/r/a?older=x&y=1")])
    resp = html_response(problem)
    assert (resp.status_code, resp.media_type, resp.headers["Vary"]) == (404, "text/html", "Accept")
    page = str(resp.content)
    assert "<title>Not &lt;found&gt; · contextjson</title>" in page and "<h1>Not &lt;found&gt;</h1>" in page
    assert "No &lt;script&gt; here" in page and "<script>" not in page
    assert '<a href="/r/a?older=x&amp;y=1">Older</a>' in page and '<a href="/">What is contextjson?</a>' in page


def test_link_errors_carry_their_fallback_and_retry_after() -> None:
    problem = problem_from(RateLimited("slow down", fallback_result_id="abcdefgh", retry_after=12), "GET")
    assert (problem.status, problem.code, problem.title) == (429, "link.rate_limited", RateLimited.title)
    assert problem.links == [("Read the last answer (older)", "/r/abcdefgh?older=rate_limited")]
    assert (dict(problem.headers), dict(problem.extensions)) == ({"Retry-After": "12"}, {"retry_after": 12})
    plain = problem_from(BudgetExhausted("spent"), "GET")
    assert (plain.links, dict(plain.headers), dict(plain.extensions)) == ([], {}, {})


def test_app_errors_without_a_title_get_one_for_their_status() -> None:
    problem = problem_from(AppError("gone", code="thing.gone", status_code=410), "GET")
    assert (problem.status, problem.code, problem.title, problem.detail) == (410, "thing.gone", "Gone", "gone")
