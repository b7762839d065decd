"""One negotiation rule for errors: HTML only when the Accept header prefers text/html over JSON."""

from __future__ import annotations

import pytest

from app.problems.accept import prefers_html
from tests.support.problems import BROWSER_ACCEPT

SAFARI = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize(
    ("accept", "html"),
    [
        (BROWSER_ACCEPT, True),
        (SAFARI, True),
        ("text/html", True),
        ("TEXT/HTML; charset=utf-8", True),
        ("text/*", True),
        ("text/html, application/json;q=0.9", True),
        ("application/json;q=0.5, text/html;q=0.6", True),
        ("*/*;q=0.1, text/html", True),
        (None, False),
        ("", False),
        ("*/*", False),
        ("application/json", False),
        ("application/problem+json", False),
        ("application/*", False),
        ("text/html, application/json", False),  # a tie goes to JSON
        ("application/json, text/html", False),
        ("text/html;q=0.5, */*", False),  # JSON through */* at 1.0 beats HTML at 0.5
        ("text/html;q=0", False),
        ("text/html;q=0.9, application/problem+json;q=0.2, application/json", False),  # the best JSON range counts
        ("text/event-stream", False),
        ("image/svg+xml", False),
        ("text/html;q=nope", False),
        ("text/html;q=NaN", False),
        (",,;,text/html;;q=1", True),
    ],
)
def test_prefers_html(accept: str | None, html: bool) -> None:
    assert prefers_html(accept) is html


def test_a_huge_header_is_cut_not_slow() -> None:
    assert prefers_html("application/json," * 10_000 + "text/html") is False
    assert prefers_html("text/html," + "x/y," * 10_000) is True
