"""How a place in context.json is named in messages: `context.explain.summary`, `context["Bad Id"]`, `x[0]`."""

from __future__ import annotations

import json
import re

FILE_PATH = "context.json"  # the file as a whole (it is not JSON, or not readable)
ROOT_PATH = "$"  # the top-level object
_SIMPLE_KEY = re.compile(r"[A-Za-z0-9_$-]+")
_MAX_ECHO_CHARS = 60
# Unpaired surrogates (from "\ud800"-style escapes) cannot be encoded as UTF-8 when stored or sent later.
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def child_path(path: str, key: str) -> str:
    """Path of `key` under `path`: dotted when the key is plain, `["..."]` otherwise."""
    if _SIMPLE_KEY.fullmatch(key):
        return key if path == ROOT_PATH else f"{path}.{key}"
    return f"{path}[{quote_text(key)}]"


def item_path(path: str, index: int) -> str:
    """Path of the item at `index` of the list at `path`."""
    return f"{path}[{index}]"


def quote_text(text: str) -> str:
    """A JSON-quoted, length-capped echo of user text that is always encodable as UTF-8."""
    if len(text) > _MAX_ECHO_CHARS:
        text = text[:_MAX_ECHO_CHARS] + "…"
    # Unpaired surrogates survive ensure_ascii=False unescaped; only then fall back to \u escapes.
    return json.dumps(text, ensure_ascii=bool(_SURROGATE.search(text)))
