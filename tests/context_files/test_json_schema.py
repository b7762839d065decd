"""The served JSON Schema of context.json agrees with the validator: same verdict on examples and on
generated documents (within the limits the schema's docstring lists)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from app.context_files.json_schema import SCHEMA_PATH, context_schema
from app.context_files.validation import MAX_PATTERNS, MAX_PROMPT_CHARS, MAX_SUMMARY_CHARS, validate_context_json
from tests import db
from tests.conftest import Service
from tests.context_files.test_validation import DESIGN_EXAMPLE

MODELS = ("gpt-4.1", "gpt-4o-mini")
SCHEMA = Draft202012Validator(context_schema(MODELS), format_checker=Draft202012Validator.FORMAT_CHECKER)


def _entry(**fields: Any) -> dict[str, Any]:
    return {"context": {"explain": {"summary": "Explain this repo", **fields}}}


VALID = [
    DESIGN_EXAMPLE,
    {
        "extends": ["https://example.com/base.json"],
        "attribution": {"name": "Jane"},
        "context": {
            "a": {"summary": "A"},
            "api-v2_docs": {
                "summary": "  padded summary  ",
                "basePath": "docs",
                "pathPatterns": ["*.{md,rst}", "guide/**/[a-z]*.md", "!drafts/"],
                "model": "gpt-4o-mini",
                "maxTokens": 2048,
                "pluginId": "x",
                "attribution": ["anything"],
            },
        },
    },
    {"extends": "https://example.com/base.json", "context": {"x" * 64: {"summary": "s" * MAX_SUMMARY_CHARS}}},
    _entry(basePath="", prompt="p" * MAX_PROMPT_CHARS, maxFileSize=2**31 - 1),
    _entry(pathPatterns=["a"] * MAX_PATTERNS, excludePathPatterns=[]),
    _entry(summary=" \t" + "s" * MAX_SUMMARY_CHARS + "\n\u00a0"),
    _entry(pathPatterns=["a..b", "..a", "a/..b/c", "C/x", "dir/x:y"]),
]

INVALID = [
    [],
    "context",
    {},
    {"context": []},
    {"context": {}},
    {"context": {"explain": "Explain"}},
    {"context": {"Bad Id": {"summary": "s"}}},
    {"context": {"-x": {"summary": "s"}}},
    {"context": {"x" * 65: {"summary": "s"}}},
    {"context": {"abc\n": {"summary": "s"}}},
    {"context": {"ok": {"summary": "s"}}, "unknown": 1},
    {"$schema": 1, "context": {"ok": {"summary": "s"}}},
    {"extends": 1, "context": {"ok": {"summary": "s"}}},
    {"extends": ["a", 2], "context": {"ok": {"summary": "s"}}},
    {"context": {"ok": {}}},
    _entry(summary=""),
    _entry(summary=" \n\t "),
    _entry(summary="s" * (MAX_SUMMARY_CHARS + 1)),
    _entry(summary=5),
    _entry(prompt="p" * (MAX_PROMPT_CHARS + 1)),
    _entry(prompt=["p"]),
    _entry(unknown="x"),
    _entry(pathPatterns="src/**"),
    _entry(pathPatterns=[1]),
    _entry(pathPatterns=[""]),
    _entry(pathPatterns=["  "]),
    _entry(pathPatterns=["/etc/passwd"]),
    _entry(pathPatterns=["\\windows"]),
    _entry(pathPatterns=["C:x"]),
    _entry(pathPatterns=["a/../b"]),
    _entry(pathPatterns=[".."]),
    _entry(excludePathPatterns=["a\\..\\b"]),
    _entry(excludePathPatterns=["a\tb"]),
    _entry(pathPatterns=["a"] * (MAX_PATTERNS + 1)),
    _entry(basePath="/abs"),
    _entry(basePath="x/.."),
    _entry(basePath=3),
    _entry(maxFileSize=0),
    _entry(maxFileSize=-1),
    _entry(maxFileSize=1.5),
    _entry(maxFileSize="5"),
    _entry(maxFileSize=True),
    _entry(maxTokens=2**31),
    _entry(model="no-such-model"),
    _entry(model=4),
]


def _verdicts(document: Any) -> tuple[bool, bool]:
    """(validator accepts, schema accepts) for one document, as a file would hold it."""
    return validate_context_json(json.dumps(document).encode(), MODELS).ok, SCHEMA.is_valid(document)


def test_the_schema_is_a_valid_2020_12_schema() -> None:
    Draft202012Validator.check_schema(context_schema(MODELS))
    assert context_schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize("document", VALID, ids=range(len(VALID)))
def test_valid_examples_are_accepted_by_both(document: Any) -> None:
    assert _verdicts(document) == (True, True)


@pytest.mark.parametrize("document", INVALID, ids=range(len(INVALID)))
def test_invalid_examples_are_refused_by_both(document: Any) -> None:
    assert _verdicts(document) == (False, False)


def test_without_a_model_list_any_model_name_passes_the_schema() -> None:
    assert Draft202012Validator(context_schema()).is_valid(_entry(model="anything"))


# Generated documents: every field drawn from values that are right, wrong, or on a limit. Left out are
# what the schema cannot express (docstring of app.context_files.json_schema): \u0000 and lone surrogates,
# duplicate keys (a dict has none), integral floats, deep nesting, and brace patterns (complexity caps).
_CHARS = st.sampled_from(list("ab./*?\\ :C-_`|\t\n\x01\x1c\u00a0\u2003é"))
_TEXT = st.text(_CHARS, max_size=10)
_FLOATS = st.floats(allow_nan=False, allow_infinity=False).filter(lambda value: not value.is_integer())
_ANY = st.one_of(st.none(), st.booleans(), st.integers(-2, 2), _FLOATS, _TEXT, st.lists(_TEXT, max_size=2))
_SEGMENT = st.sampled_from(["a", "src", "..", ".", "...", "", " ", "C:", "x:", "a..b", "**", "*.md", "\t"])
_PATTERN = st.one_of(
    st.lists(_SEGMENT, min_size=1, max_size=4).map("/".join),
    st.lists(_SEGMENT, min_size=1, max_size=4).map("\\".join),
    _TEXT,
    st.sampled_from(["a" * 512, "a" * 513, "a\\", "a\\\\", "a\\/b", "a\\ ", "a\\ /b"]),
)
_SIZE = st.one_of(st.integers(-1, 3), st.sampled_from([2**31 - 1, 2**31]), _ANY)
_SUMMARY = st.one_of(
    _TEXT,
    st.builds(lambda pad, n: pad + "s" * n + pad, st.sampled_from(["", " ", "\n\t", "\u00a0"]), st.integers(68, 72)),
    _ANY,
)
_FIELDS = {
    "summary": _SUMMARY,
    "prompt": st.one_of(_TEXT, st.sampled_from(["p" * MAX_PROMPT_CHARS, "p" * (MAX_PROMPT_CHARS + 1)]), _ANY),
    "basePath": st.one_of(_PATTERN, _ANY),
    "pathPatterns": st.one_of(st.lists(_PATTERN, max_size=3), st.lists(st.one_of(_PATTERN, _ANY), max_size=3), _ANY),
    "excludePathPatterns": st.one_of(st.lists(_PATTERN, max_size=3), st.just(["a"] * (MAX_PATTERNS + 1)), _ANY),
    "maxFileSize": _SIZE,
    "model": st.one_of(st.sampled_from(MODELS), _TEXT, _ANY),
    "maxTokens": _SIZE,
    "pluginId": _ANY,
    "attribution": _ANY,
    "surprise": _ANY,
}
_ID = st.one_of(
    st.from_regex(r"[a-z0-9][a-z0-9_-]{0,4}", fullmatch=True),
    _TEXT,
    st.sampled_from(["a" * 64, "a" * 65, "abc\n", "Abc", "_a", "a b"]),
)
_ROOT = {
    "$schema": st.one_of(_TEXT, _ANY),
    "extends": st.one_of(_TEXT, st.lists(st.one_of(_TEXT, _ANY), max_size=2), _ANY),
    "context": st.one_of(st.dictionaries(_ID, st.fixed_dictionaries({"summary": _SUMMARY}), max_size=2), _ANY),
    "attribution": _ANY,
    "other": _ANY,
}


def _one_of_fields(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[tuple[str, Any]]:
    return st.sampled_from(sorted(fields)).flatmap(lambda name: st.tuples(st.just(name), fields[name]))


def _same_verdict(document: Any) -> None:
    accepted, schema_accepts = _verdicts(document)
    assert accepted == schema_accepts, validate_context_json(json.dumps(document).encode(), MODELS).issues


@settings(max_examples=400, deadline=None)
@given(_one_of_fields(_FIELDS))
def test_each_entry_field_gets_the_same_verdict(field: tuple[str, Any]) -> None:
    """One field at a time in an otherwise valid file, so the verdict is that field's."""
    name, value = field
    _same_verdict({"context": {"explain": {"summary": "Explain", name: value}}})


@settings(max_examples=150, deadline=None)
@given(_one_of_fields(_ROOT), _ID)
def test_each_root_field_and_id_gets_the_same_verdict(field: tuple[str, Any], entry_id: str) -> None:
    name, value = field
    _same_verdict({"context": {entry_id: {"summary": "s"}}, name: value})


@settings(max_examples=150, deadline=None)
@given(
    st.fixed_dictionaries(
        {}, optional=_ROOT | {"context": st.dictionaries(_ID, st.fixed_dictionaries({}, optional=_FIELDS), max_size=3)}
    )
)
def test_whole_documents_get_the_same_verdict(document: dict[str, Any]) -> None:
    _same_verdict(document)


# --- the served copy ------------------------------------------------------------------------------------


@pytest.fixture
def database_url(sqlite_template: Path, tmp_path: Path) -> str:
    """SQLite only: the route reads no table."""
    return db.sqlite_copy(sqlite_template, tmp_path)


async def test_the_schema_is_served_at_a_stable_url(service: Service) -> None:
    response = await service.client.get(SCHEMA_PATH)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/schema+json")
    assert "max-age" in response.headers["cache-control"]
    served = response.json()
    assert served["$id"] == "http://contextjson.test" + SCHEMA_PATH
    assert served["$defs"]["entry"]["properties"]["model"]["enum"] == sorted(service.clients.catalog.models)
    Draft202012Validator.check_schema(served)
    assert Draft202012Validator(served).is_valid(VALID[0])
    assert not Draft202012Validator(served).is_valid(INVALID[6])
    # The OpenAPI document keeps its own paths under /schema.
    openapi = await service.client.get("/schema/openapi.json")
    assert openapi.status_code == 200 and SCHEMA_PATH in openapi.json()["paths"]
