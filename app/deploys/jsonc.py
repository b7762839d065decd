"""Read JSON with comments and trailing commas (wrangler.jsonc / wrangler.json).

Wrangler parses both file names with a JSONC parser, so comments and trailing
commas are accepted in either. We blank them out, string-aware, then use json.
"""

from __future__ import annotations

import json
from typing import Any


class JsoncError(ValueError):
    """The text is not JSON even after comments and trailing commas are removed."""


def _string_end(text: str, start: int) -> int:
    """Index just past the JSON string that opens at text[start] (a '"')."""
    i = start + 1
    while i < len(text) and text[i] != '"':
        i += 2 if text[i] == "\\" else 1
    return min(i + 1, len(text))


def strip_jsonc(text: str) -> str:
    """Blank out comments and drop trailing commas, leaving strings untouched."""
    out: list[str] = []  # chunks: single characters, whole strings, newline runs
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            end = _string_end(text, i)
            out.append(text[i:end])
            i = end
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                raise JsoncError("unterminated /* comment")
            # keep newlines so json's error line numbers still match the file
            out.append("\n" * text.count("\n", i, end))
            i = end + 2
        else:
            if ch in "]}":
                _drop_trailing_comma(out)
            out.append(ch)
            i += 1
    return "".join(out)


def _drop_trailing_comma(out: list[str]) -> None:
    """Remove a comma that only whitespace separates from the closing bracket."""
    k = len(out) - 1
    while k >= 0 and not out[k].strip():
        k -= 1
    if k >= 0 and out[k] == ",":
        del out[k]


def loads_jsonc(text: str) -> Any:
    try:
        return json.loads(strip_jsonc(text))
    except json.JSONDecodeError as error:
        raise JsoncError(f"invalid JSON: {error.msg} at line {error.lineno} column {error.colno}") from error
    except RecursionError as error:
        raise JsoncError("invalid JSON: nested too deeply") from error
