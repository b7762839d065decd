"""JSON paths of context.json issues found again in its text, as the lines an annotation marks."""

from __future__ import annotations

import json

from app.context_files.locations import locate
from app.context_files.validation import ValidationIssue, validate_context_json

MODELS = ("gpt-4.1",)


def _lines(text: str) -> dict[str, tuple[int, int] | None]:
    return {issue.path: issue.lines for issue in validate_context_json(text.encode(), MODELS).issues}


def test_members_items_and_missing_members() -> None:
    text = '{\n "a": {\n  "b": [\n   1,\n   {"c": true}\n  ],\n  "d":\n    "value"\n }\n}\n'
    found = locate(text, ["a", "a.b", "a.b[0]", "a.b[1].c", "a.d", "a.missing", "a.b[7]", "nothing", "$"])
    assert found == {
        "a": (2, 2),
        "a.b": (3, 3),
        "a.b[0]": (4, 4),
        "a.b[1].c": (5, 5),
        "a.d": (7, 8),  # from its key to its value
        "a.missing": (2, 2),  # a member that is not there: the object that lacks it
        "a.b[7]": (3, 3),
        "nothing": (1, 1),  # the root
        "$": (1, 1),
    }


def test_keys_are_named_as_the_validator_names_them() -> None:
    # Escaped keys mean their decoded text; keys with dots or spaces are quoted; the last repeat wins.
    text = '{\n"\\u0061": 1,\n"x.y": {"z": 2},\n"sp ace": 3,\n"ab": 4,\n"a": 5\n}'
    found = locate(text, ["a", '$["x.y"].z', '$["sp ace"]', "ab"])
    assert found == {"a": (6, 6), '$["x.y"].z': (3, 3), '$["sp ace"]': (4, 4), "ab": (5, 5)}


def test_windows_line_endings_and_one_line_files() -> None:
    crlf = '{\r\n  "context": {\r\n    "a": {"summary": "s", "oops": 1}\r\n  }\r\n}\r\n'
    assert _lines(crlf) == {"context.a.oops": (3, 3)}
    assert _lines(json.dumps({"context": {"a": {"summary": "s", "oops": 1}}, "extra": []})) == {
        "extra": (1, 1),
        "context.a.oops": (1, 1),
    }


def test_deep_and_broken_text_does_not_raise() -> None:
    deep = '{"a": ' * 5000 + "1" + "}" * 5000
    assert locate(deep, ["a.a.a"]) == {"a.a.a": (1, 1)}
    assert locate('{\n"a": 1,\n"b": [1, 2', ["a", "b[1]", "c"]) == {"a": (2, 2), "b[1]": (3, 3), "c": (1, 1)}


def test_lines_do_not_change_what_an_issue_says() -> None:
    issue = ValidationIssue("context.a", "unknown property", lines=(3, 3))
    assert issue == ValidationIssue("context.a", "unknown property") and str(issue) == "context.a: unknown property"


def test_issues_of_a_real_file_carry_their_lines() -> None:
    text = """{
  "$schema": 42,
  "context": {
    "explain": {
      "summary": "%s",
      "maxFileSize": -1,
      "excludePathPatterns": ["ok/**", "/etc/passwd", ""]
    }
  }
}""" % ("x" * 71)
    assert _lines(text) == {
        "$schema": (2, 2),
        "context.explain.summary": (5, 5),
        "context.explain.maxFileSize": (6, 6),
        "context.explain.excludePathPatterns[1]": (7, 7),
        "context.explain.excludePathPatterns[2]": (7, 7),
    }
