"""Behaviour of context.json validation: exact issue strings, kept entries, round trips, hostile input."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.context_files import validation
from app.context_files.validation import (
    ContextEntry,
    ValidationIssue,
    ValidationResult,
    render_prompt,
    validate_context_json,
)

MODELS = ("gpt-4o-mini", "gpt-4.1")
ID_ERROR = 'invalid id: use 1 to 64 characters from a-z, 0-9, "-" and "_", starting with a letter or digit'
INTERNAL_ERROR = "could not be validated"
OK = {"a": {"summary": "s"}}  # a minimal valid `context` section


def check(document: Any, models: Any = MODELS) -> ValidationResult:
    """Validate a Python value serialised as JSON."""
    return validate_context_json(json.dumps(document).encode(), models)


def errors(result: ValidationResult) -> list[str]:
    return [str(issue) for issue in result.issues]


def entry_errors(**fields: Any) -> list[str]:
    """Issues of a file with one `explain` entry having these fields (summary defaults to valid)."""
    return errors(check({"context": {"explain": {"summary": "Explain", **fields}}}))


# --- a valid file -------------------------------------------------------------------------------------

DESIGN_EXAMPLE: dict[str, Any] = {
    "$schema": "https://contextjson.com/schema",
    "context": {
        "explain": {
            "summary": "Explain this repo",
            "prompt": "Explain what {{owner}}/{{repo}} does and how to start using it.",
            "pathPatterns": ["README.md", "src/**"],
            "excludePathPatterns": ["**/*.lock"],
            "maxFileSize": 50000,
        }
    },
}


def test_design_example_is_valid() -> None:
    result = check(DESIGN_EXAMPLE)
    assert result.ok and result.issues == []
    assert result.document == DESIGN_EXAMPLE
    assert result.entries == {
        "explain": ContextEntry(
            id="explain",
            summary="Explain this repo",
            prompt="Explain what {{owner}}/{{repo}} does and how to start using it.",
            base_path=None,
            path_patterns=("README.md", "src/**"),
            exclude_path_patterns=("**/*.lock",),
            max_file_size=50000,
            model=None,
            max_tokens=None,
            extra={},
        )
    }


def test_all_optional_fields_and_kept_extras() -> None:
    attribution = {"name": "Jane", "links": ["https://example.com"]}
    document = {
        "extends": ["https://example.com/base.json"],
        "attribution": "upstream",
        "context": {
            "api-docs_2": {
                "summary": "  API docs  ",
                "basePath": "docs",
                "model": "gpt-4.1",
                "maxTokens": 1000,
                "pluginId": "acme",
                "attribution": attribution,
            }
        },
    }
    result = check(document)
    assert result.ok
    entry = result.entries["api-docs_2"]
    assert (entry.summary, entry.prompt, entry.base_path) == ("API docs", "", "docs")
    assert (entry.model, entry.max_tokens, entry.path_patterns) == ("gpt-4.1", 1000, ())
    assert entry.extra == {"pluginId": "acme", "attribution": attribution}
    assert result.document == document


# --- file level ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [b"\x00", b"\xff\xfe{\x00}\x00", b"\x89PNG\r\n\x1a\n", b'{"context": {}}\x00', b'{"a": "\xc3"}'],
)
def test_binary_input(raw: bytes) -> None:
    result = validate_context_json(raw, MODELS)
    assert errors(result) == ["context.json: is not UTF-8 text (binary file?)"]
    assert result.document is None and result.entries == {}


@pytest.mark.parametrize("raw", [b"", b"  \n\t\r\n", b"\xef\xbb\xbf", b"\xef\xbb\xbf \n"])
def test_empty_input(raw: bytes) -> None:
    assert errors(validate_context_json(raw, MODELS)) == ["context.json: is empty"]


def test_utf8_bom_is_tolerated() -> None:
    result = validate_context_json(b"\xef\xbb\xbf" + json.dumps(DESIGN_EXAMPLE).encode(), MODELS)
    assert result.ok and list(result.entries) == ["explain"]


@pytest.mark.parametrize(
    ("raw", "line", "column", "message"),
    [
        (b'{\n  "context": {\n    "a": 1\n    "b": 2\n  }\n}', 4, 5, "Expecting ',' delimiter"),
        (b'\xef\xbb\xbf{\n  "context": {},\n}', 3, 1, "Expecting property name enclosed in double quotes"),
        (b"{'context': {}}", 1, 2, "Expecting property name enclosed in double quotes"),
        (b'{"context": {}} {}', 1, 17, "Extra data"),
        (b'{"context": ', 1, 13, "Expecting value"),
    ],
)
def test_syntax_error_has_line_and_column(raw: bytes, line: int, column: int, message: str) -> None:
    result = validate_context_json(raw, MODELS)
    assert result.issues == [ValidationIssue("context.json", message, line=line, column=column)]
    assert errors(result) == [f"context.json: line {line}, column {column}: {message}"]
    assert result.document is None


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"context": NaN}', "NaN is not valid JSON"),
        (b'{"context": [Infinity, -Infinity]}', "Infinity is not valid JSON"),
        (b'{"context": 1e999}', "number 1e999 is out of range"),
        (b'{"context": ' + b"1" * 5000 + b"}", "contains a number with too many digits"),
        (b"[" * 100_000 + b"]" * 100_000, "is nested too deeply (more than 32 levels)"),
        (
            b'{"context": {"a": {"summary": "s", "attribution": ' + b"[" * 30 + b"]" * 30 + b"}}}",
            "is nested too deeply (more than 32 levels)",
        ),
    ],
)
def test_json_the_parser_would_take_but_json_or_storage_would_not(raw: bytes, message: str) -> None:
    assert errors(validate_context_json(raw, MODELS)) == [f"context.json: {message}"]


def test_nesting_up_to_the_limit_is_fine() -> None:
    raw = b'{"context": {"a": {"summary": "s", "attribution": ' + b"[" * 29 + b"]" * 29 + b"}}}"
    assert validate_context_json(raw, MODELS).ok


@pytest.mark.parametrize(("document", "kind"), [([], "array"), ("x", "string"), (3, "number"), (None, "null")])
def test_top_level_must_be_an_object(document: Any, kind: str) -> None:
    result = check(document)
    assert errors(result) == [f"$: must be a JSON object, got {kind}"]
    assert result.document is None


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({}, "context: is required"),
        ({"context": []}, "context: must be an object, got array"),
        ({"context": {}}, "context: defines no context entries"),
        ({"$schema": 1, "context": OK}, "$schema: must be a string, got number"),
        (
            {"extends": {}, "context": OK},
            "extends: must be a string or a list of strings, got object",
        ),
        (
            {"extends": ["a", None], "context": OK},
            "extends[1]: must be a string, got null",
        ),
        ({"context": OK, "contexts": {}}, "contexts: unknown property"),
        ({"context": OK, "my key": 1}, '$["my key"]: unknown property'),
    ],
)
def test_top_level_rules(document: dict[str, Any], expected: str) -> None:
    assert errors(check(document)) == [expected]


@pytest.mark.parametrize("extends", ["https://example.com/a.json", [], ["a", "b"]])
def test_extends_forms_are_accepted_and_kept(extends: Any) -> None:
    result = check({"extends": extends, "context": OK})
    assert result.ok and result.document is not None and result.document["extends"] == extends


# --- ids ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("entry_id", ["a", "0", "a-b_c", "9lives", "x" * 64, "a--__"])
def test_valid_ids(entry_id: str) -> None:
    assert list(check({"context": {entry_id: {"summary": "s"}}}).entries) == [entry_id]


@pytest.mark.parametrize(
    ("entry_id", "path"),
    [
        ("", 'context[""]'),
        ("-a", "context.-a"),
        ("_a", "context._a"),
        ("Explain", "context.Explain"),
        ("x" * 65, "context." + "x" * 65),
        ("a.b", 'context["a.b"]'),
        ("bad id", 'context["bad id"]'),
        ("abc\n", 'context["abc\\n"]'),
        ("café", 'context["café"]'),
    ],
)
def test_invalid_ids_are_reported_with_a_quoted_path_when_needed(entry_id: str, path: str) -> None:
    result = check({"context": {entry_id: {"summary": "s"}}})
    assert errors(result) == [f"{path}: {ID_ERROR}"]
    assert result.entries == {}


@pytest.mark.parametrize("entry_id", ["a", "0", "a-b_c", "x" * 64, "x" * 65, "_a", "A", "a.b", "abc\n", "", "café"])
def test_links_accept_exactly_the_ids_a_context_json_may_define(entry_id: str) -> None:
    """Visitor links and badges use is_context_id: one rule, so no link can name an id no file may hold."""
    assert validation.is_context_id(entry_id) == (entry_id in check({"context": {entry_id: {"summary": "s"}}}).entries)


def test_body_of_an_invalid_id_is_still_checked() -> None:
    assert errors(check({"context": {"bad id": {"summary": 1}}})) == [
        f'context["bad id"]: {ID_ERROR}',
        'context["bad id"].summary: must be a string, got number',
    ]


def test_long_keys_are_shortened_in_paths() -> None:
    key = "a b" + "x" * 200
    assert errors(check({"context": OK, key: 1})) == [f'$["{key[:60]}…"]: unknown property']


# --- entry fields -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("text", "context.explain: must be an object, got string"),
        ({}, "context.explain.summary: is required"),
        ({"summary": None}, "context.explain.summary: must be a string, got null"),
        ({"summary": ""}, "context.explain.summary: must not be empty"),
        ({"summary": " \n\t"}, "context.explain.summary: must not be empty"),
        ({"summary": "x" * 71}, "context.explain.summary: longer than 70 characters"),
        ({"summary": "s", "prompt": ["x"]}, "context.explain.prompt: must be a string, got array"),
        ({"summary": "s", "prompt": "p" * 16_001}, "context.explain.prompt: longer than 16,000 characters"),
        ({"summary": "s", "Summary": "s"}, "context.explain.Summary: unknown property"),
    ],
)
def test_summary_prompt_and_shape(body: Any, expected: str) -> None:
    assert errors(check({"context": {"explain": body}})) == [expected]


def test_limits_are_inclusive_and_summary_is_measured_stripped() -> None:
    result = check({"context": {"explain": {"summary": f"  {'x' * 70}\n", "prompt": "p" * 16_000}}})
    assert result.ok
    assert result.entries["explain"].summary == "x" * 70


ABSOLUTE = "must be relative to the repository root, not absolute"
DOTDOT = 'must not contain ".." segments'


@pytest.mark.parametrize(
    ("value", "messages"),
    [
        ("/etc", [ABSOLUTE]),
        ("\\share", [ABSOLUTE]),
        ("C:\\repo", [ABSOLUTE]),
        ("..", [DOTDOT]),
        ("docs/../../x", [DOTDOT]),
        ("docs\\..\\x", [DOTDOT]),
        ("/../x", [ABSOLUTE, DOTDOT]),
        ("a\tb", ["must not contain control characters"]),
        (7, ["must be a string, got number"]),
    ],
)
def test_base_path_rules(value: Any, messages: list[str]) -> None:
    assert entry_errors(basePath=value) == [f"context.explain.basePath: {m}" for m in messages]


@pytest.mark.parametrize("value", ["", ".", "docs", "docs/api/", "..docs", "a/..b/c"])
def test_base_path_accepted(value: str) -> None:
    assert entry_errors(basePath=value) == []


@pytest.mark.parametrize("key", ["pathPatterns", "excludePathPatterns"])
def test_pattern_list_rules(key: str) -> None:
    patterns: list[Any] = ["src/**", "", "  ", 3, "/abs/*", "**/../*", "ok/*.py", None]
    assert entry_errors(**{key: patterns}) == [
        f"context.explain.{key}[1]: must not be empty",
        f"context.explain.{key}[2]: must not be empty",
        f"context.explain.{key}[3]: must be a string, got number",
        f"context.explain.{key}[4]: {ABSOLUTE}",
        f"context.explain.{key}[5]: {DOTDOT}",
        f"context.explain.{key}[7]: must be a string, got null",
    ]


@pytest.mark.parametrize("key", ["pathPatterns", "excludePathPatterns"])
def test_pattern_list_shape_and_count(key: str) -> None:
    assert entry_errors(**{key: "src/**"}) == [f"context.explain.{key}: must be a list of strings, got string"]
    assert entry_errors(**{key: [f"f{i}" for i in range(200)]}) == []
    assert entry_errors(**{key: [f"f{i}" for i in range(201)]}) == [
        f"context.explain.{key}: has more than 200 patterns"
    ]
    assert entry_errors(**{key: []}) == []


@pytest.mark.parametrize("key", ["pathPatterns", "excludePathPatterns"])
def test_patterns_the_builder_cannot_use_are_named(key: str) -> None:
    patterns: list[Any] = ["src/**", "{a,b}" * 40, 7, "x" * 513, "end\\", "[[:nope:]]", "{src,lib}/*.{ts,tsx}", "[z-a]"]
    started = time.perf_counter()
    assert entry_errors(**{key: patterns}) == [
        f"context.explain.{key}[2]: must be a string, got number",
        f"context.explain.{key}[1]: expands to more than 64 patterns",  # 2^40: refused, never expanded
        f"context.explain.{key}[3]: is longer than 512 characters",
        f"context.explain.{key}[4]: ends with a lone backslash",
        f"context.explain.{key}[5]: unknown character class [:nope:]",
    ]
    assert time.perf_counter() - started < 5


def test_a_pattern_list_that_expands_too_far_is_named_and_its_entry_dropped() -> None:
    result = check(
        {
            "context": {
                "wide": {"summary": "s", "pathPatterns": ["{a,b,c,d}/{a,b,c,d}/{a,b,c,d}/*.py"] * 16},
                "long": {"summary": "s", "excludePathPatterns": ["{a,b}/" + "x" * 500] * 40},
                "fine": {"summary": "s", "pathPatterns": ["{a,b,c,d}/{a,b,c,d}/{a,b,c,d}/*.py"] * 15},
            }
        }
    )
    assert errors(result) == [
        "context.wide.pathPatterns: expand to more than 1,000 patterns in all",
        "context.long.excludePathPatterns: expand to more than 32,000 characters in all",
    ]
    assert list(result.entries) == ["fine"]


def test_pattern_checks_of_a_hostile_document_stay_quick() -> None:
    # 1 MB of brace patterns: expanding them all would take seconds on the event loop the check runs on.
    patterns = ["{a,b}{c,d}{e,f}{g,h}{i,j}{k,l}"] * 200
    document = {"context": {f"e{i}": {"summary": "s", "pathPatterns": patterns} for i in range(150)}}
    raw = json.dumps(document).encode()
    assert len(raw) > 1_000_000
    started = time.perf_counter()
    result = validate_context_json(raw, MODELS)
    assert time.perf_counter() - started < 5
    assert errors(result)[0] == "context.e0.pathPatterns: expand to more than 1,000 patterns in all"


@pytest.mark.parametrize("key", ["maxFileSize", "maxTokens"])
@pytest.mark.parametrize(
    ("value", "message"),
    [
        (True, "must be a positive integer, got boolean"),
        (False, "must be a positive integer, got boolean"),
        (0, "must be a positive integer, got 0"),
        (-5, "must be a positive integer, got -5"),
        (1.5, "must be a positive integer, got 1.5"),
        (50000.0, "must be a positive integer, got 50000.0"),
        ("100", "must be a positive integer, got string"),
        (None, "must be a positive integer, got null"),
        (2**31, "must be at most 2,147,483,647"),
    ],
)
def test_positive_integer_fields(key: str, value: Any, message: str) -> None:
    assert entry_errors(**{key: value}) == [f"context.explain.{key}: {message}"]


@pytest.mark.parametrize("key", ["maxFileSize", "maxTokens"])
@pytest.mark.parametrize("value", [1, 2**31 - 1])
def test_positive_integer_bounds(key: str, value: int) -> None:
    assert entry_errors(**{key: value}) == []


def test_model_rules() -> None:
    assert entry_errors(model="gpt-4.1") == []
    assert entry_errors(model="gpt-5") == [
        'context.explain.model: unknown model "gpt-5" (available: gpt-4.1, gpt-4o-mini)'
    ]
    assert entry_errors(model=5) == ["context.explain.model: must be a string, got number"]
    no_models = check({"context": {"a": {"summary": "s", "model": "x"}}}, models=())
    assert errors(no_models) == ['context.a.model: unknown model "x" (available: none)']


def test_known_models_may_be_any_collection() -> None:
    document = {"context": {"a": {"summary": "s", "model": "m1"}}}
    assert check(document, models={"m1": object()}.keys()).ok
    assert check(document, models=frozenset({"m1"})).ok


# --- many problems at once ----------------------------------------------------------------------------


def test_every_problem_is_reported_and_valid_entries_are_kept() -> None:
    document = {
        "context": {
            "explain": {"summary": "Explain"},
            "Bad.ID": {"summary": "x" * 71, "model": "gpt-5"},
            "tests": {"summary": "", "pathPatterns": ["../x"], "maxTokens": 0, "colour": "red"},
            "docs": {"summary": "Docs", "basePath": "docs"},
        },
        "version": 2,
    }
    result = check(document)
    assert errors(result) == [
        "version: unknown property",
        f'context["Bad.ID"]: {ID_ERROR}',
        'context["Bad.ID"].summary: longer than 70 characters',
        'context["Bad.ID"].model: unknown model "gpt-5" (available: gpt-4.1, gpt-4o-mini)',
        "context.tests.summary: must not be empty",
        f"context.tests.pathPatterns[0]: {DOTDOT}",
        "context.tests.maxTokens: must be a positive integer, got 0",
        "context.tests.colour: unknown property",
    ]
    assert not result.ok
    assert list(result.entries) == ["explain", "docs"]
    assert result.document == document


# --- duplicate keys and unstorable strings ------------------------------------------------------------


def test_duplicate_keys_are_reported_and_make_the_entry_ambiguous() -> None:
    raw = b'{"context": {"a": {"summary": "x", "summary": "y", "summary": "z"}, "b": {"summary": "ok"}}}'
    result = validate_context_json(raw, MODELS)
    assert errors(result) == ["context.a.summary: duplicate key"]
    assert list(result.entries) == ["b"]
    assert result.document == {"context": {"a": {"summary": "z"}, "b": {"summary": "ok"}}}


def test_duplicate_ids_and_top_level_keys() -> None:
    raw = b'{"context": {"a": {"summary": "1"}, "a": {"summary": "2"}, "b": {"summary": "3"}}, "$schema": "x"}'
    result = validate_context_json(raw, MODELS)
    assert errors(result) == ["context.a: duplicate key"]
    assert list(result.entries) == ["b"]
    raw = b'{"context": {"a": {"summary": "1"}}, "context": {"b": {"summary": "2"}}}'
    result = validate_context_json(raw, MODELS)
    assert errors(result) == ["context: duplicate key"]
    assert result.entries == {}


def test_duplicates_inside_kept_values_and_overwritten_objects() -> None:
    # The overwritten {"x", "x"} object is garbage; its id must not be mistaken for a later object's.
    raw = (
        b'{"attribution": {"k": {"x": 1, "x": 2}, "k": 0, "m": [{"y": 1, "y": 1}]},'
        b' "context": {"e": {"summary": "s", "pluginId": "p"}}}'
    )
    result = validate_context_json(raw, MODELS)
    assert errors(result) == ["attribution.k: duplicate key", "attribution.m[0].y: duplicate key"]
    assert list(result.entries) == ["e"]


UNSTORABLE = "contains a \\u0000 or unpaired surrogate (\\ud800-\\udfff) escape"


def test_nul_and_lone_surrogates_are_reported_and_the_document_withheld() -> None:
    raw = (
        b'{"context": {"a": {"summary": "\\ud800"}, "b": {"summary": "x\\u0000"},'
        b' "c": {"summary": "ok"}, "d\\udfff": {"summary": "s"}}}'
    )
    result = validate_context_json(raw, MODELS)
    assert errors(result) == [
        f"context.a.summary: {UNSTORABLE}",
        f"context.b.summary: {UNSTORABLE}",
        f'context["d\\udfff"]: key {UNSTORABLE}',
        f'context["d\\udfff"]: {ID_ERROR}',
    ]
    assert result.document is None
    assert list(result.entries) == ["c"]
    assert all(str(issue).encode("utf-8") for issue in result.issues)


def test_paired_surrogate_escapes_are_ordinary_text() -> None:
    result = validate_context_json(b'{"context": {"a": {"summary": "\\ud83d\\ude00"}}}', MODELS)
    assert result.ok and result.entries["a"].summary == "\U0001f600"


# --- the value types ----------------------------------------------------------------------------------


def test_issue_str_forms() -> None:
    assert str(ValidationIssue("context.a.summary", "longer than 70 characters")) == (
        "context.a.summary: longer than 70 characters"
    )
    assert str(ValidationIssue("context.json", "Expecting value", line=3, column=5)) == (
        "context.json: line 3, column 5: Expecting value"
    )
    assert str(ValidationIssue("context.json", "Expecting value", line=3)) == "context.json: line 3: Expecting value"


def test_entry_round_trip_and_json_form() -> None:
    result = check(
        {
            "context": {
                "full": {
                    **DESIGN_EXAMPLE["context"]["explain"],
                    **{"basePath": "", "model": "gpt-4.1", "maxTokens": 9, "pluginId": "p"},
                    "attribution": {"a": [1]},
                },
                "bare": {"summary": "Bare"},
            }
        }
    )
    assert result.ok
    for entry in result.entries.values():
        data = entry.to_dict()
        assert json.loads(json.dumps(data)) == data
        assert ContextEntry.from_dict(data) == entry
        # Minus its id, to_dict() is again a valid context.json entry describing the same thing.
        body = {k: v for k, v in data.items() if k != "id"}
        assert check({"context": {entry.id: body}}).entries[entry.id] == entry
    assert result.entries["bare"].to_dict() == {"id": "bare", "summary": "Bare"}
    assert result.entries["full"].to_dict()["basePath"] == ""


def test_to_dict_does_not_share_mutable_state_and_entries_hash() -> None:
    entry = ContextEntry("a", "s", "", None, (), (), None, None, None, {"attribution": {"names": ["x"]}})
    entry.to_dict()["attribution"]["names"].append("y")
    assert entry.extra == {"attribution": {"names": ["x"]}}
    assert hash(entry) == hash(ContextEntry.from_dict(entry.to_dict()))


def test_unexpected_internal_failure_becomes_an_issue(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(raw: bytes, known_models: Any) -> ValidationResult:
        raise RuntimeError("bug")

    monkeypatch.setattr(validation, "_validate", broken)
    result = validate_context_json(b"{}", MODELS)
    assert errors(result) == ["context.json: could not be validated (RuntimeError)"]


# --- render_prompt ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("Explain {{owner}}/{{repo}} at {{branch}}", "Explain octo/cat at main"),
        ("{{ owner }}/{{\trepo\n}}@{{branch  }}", "octo/cat@main"),
        ("{{owner}}{{owner}}", "octoocto"),
        ("{{Owner}} {{sha}} {{ other }} {owner} {{owner}", "{{Owner}} {{sha}} {{ other }} {owner} {{owner}"),
        ("{{{owner}}}", "{octo}"),
        ("", ""),
    ],
)
def test_render_prompt(prompt: str, expected: str) -> None:
    assert render_prompt(prompt, owner="octo", repo="cat", branch="main") == expected


def test_render_prompt_values_are_literal_and_not_rescanned() -> None:
    rendered = render_prompt("{{owner}} {{repo}}", owner=r"a\1\g<0>", repo="{{branch}}", branch="main")
    assert rendered == r"a\1\g<0> {{branch}}"


# --- never raises -------------------------------------------------------------------------------------

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
entry_keys = st.sampled_from(sorted(validation._ENTRY_CHECKS) + ["other"])
entries = st.dictionaries(entry_keys, json_values | st.lists(st.text(), max_size=3), max_size=6)


def assert_sane(result: ValidationResult) -> None:
    assert not any(INTERNAL_ERROR in issue.message for issue in result.issues)
    assert result.ok == (result.issues == [])
    for issue in result.issues:
        str(issue).encode("utf-8")
    for entry in result.entries.values():
        assert ContextEntry.from_dict(entry.to_dict()) == entry


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes_never_raise(raw: bytes) -> None:
    assert_sane(validate_context_json(raw, MODELS))


@FUZZ
@given(json_values)
def test_random_json_never_raises(document: Any) -> None:
    assert_sane(validate_context_json(json.dumps(document).encode(), MODELS))


@FUZZ
@given(st.dictionaries(st.text(max_size=6) | st.sampled_from(["a", "b-1"]), entries | json_values, max_size=4))
def test_random_context_sections_never_raise(context: dict[str, Any]) -> None:
    result = validate_context_json(json.dumps({"context": context}).encode(), MODELS)
    assert_sane(result)
    assert set(result.entries) <= set(context)
    if result.ok:
        assert set(result.entries) == set(context)
