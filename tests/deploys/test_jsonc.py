"""JSONC reading and config file discovery."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.deploys.config_file import find_config_file
from app.deploys.jsonc import JsoncError, loads_jsonc


def test_comments_and_trailing_commas() -> None:
    text = '{\n  // name\n  "name": "a//b", /* c */\n  "flags": ["x", "y",],\n  "url": "http://e/*x*/",\n}\n'
    assert loads_jsonc(text) == {"name": "a//b", "flags": ["x", "y"], "url": "http://e/*x*/"}


def test_escaped_quote_inside_string() -> None:
    assert loads_jsonc('{"a": "q\\",}//"}') == {"a": 'q",}//'}


def test_invalid_json_has_a_reason() -> None:
    with pytest.raises(JsoncError, match="invalid JSON"):
        loads_jsonc('{"a": }')


@settings(max_examples=300, derandomize=True)  # the same inputs every run: a failure is a bug, not luck
@given(st.text())
def test_never_crashes_with_anything_but_a_jsonc_error(text: str) -> None:
    try:
        loads_jsonc(text)
    except JsoncError as error:
        assert str(error)


def test_wrangler_file_order() -> None:
    assert find_config_file(["wrangler.toml", "wrangler.jsonc", "src/x.js"]) == "wrangler.jsonc"
    assert find_config_file(["wrangler.toml", "wrangler.json", "wrangler.jsonc"]) == "wrangler.json"
    assert find_config_file(["src/index.js"]) is None


def test_deep_nesting_is_a_jsonc_error() -> None:
    with pytest.raises(JsoncError, match="nested too deeply"):
        loads_jsonc("[" * 100_000 + "]" * 100_000)
