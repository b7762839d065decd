"""Where a JSON path (`context.explain.summary`) is in the text of context.json: its first and last line.

json.loads keeps no positions, so the (already parsed, hence valid) text is walked once more with the
json module's own string scanner, recording where each member's key and value start. Iterative, so a
deeply nested file cannot exhaust the stack.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from json.decoder import scanstring  # type: ignore[attr-defined]  # public since Python 2, not in typeshed

from app.context_files.json_paths import ROOT_PATH, child_path, item_path

Lines = tuple[int, int]  # first and last line, 1-based

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_SCALAR = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null")
_FIRST_LINE: Lines = (1, 1)


@dataclass
class _Container:
    is_object: bool
    path: str
    members: int = 0


def locate(text: str, paths: Iterable[str]) -> dict[str, Lines]:
    """The lines of each path; a path not in the text (a missing member) gets its nearest ancestor's."""
    starts = _line_starts(text)
    offsets = _member_offsets(text)

    def lines(path: str) -> Lines:
        found = offsets.get(path) or offsets.get(_nearest_ancestor(path, offsets))
        if found is None:
            return _FIRST_LINE
        member, value = found
        return _line(starts, member), _line(starts, value)

    return {path: lines(path) for path in set(paths)}


def _line_starts(text: str) -> list[int]:
    # Lines end at "\n" only, as json.JSONDecodeError counts them (a "\r\n" file counts the same).
    return [0, *(match.end() for match in re.finditer("\n", text))]


def _line(starts: list[int], offset: int) -> int:
    return bisect.bisect_right(starts, offset)


def _nearest_ancestor(path: str, offsets: dict[str, tuple[int, int]]) -> str:
    """The longest known path that `path` lies inside (`context.x.summary` → `context.x`), else the root."""
    cuts = [index for index, char in enumerate(path) if char in ".[" and index > 0]
    return next((path[:cut] for cut in reversed(cuts) if path[:cut] in offsets), ROOT_PATH)


def _member_offsets(text: str) -> dict[str, tuple[int, int]]:
    """Offsets of each path's member (its key, or the item itself) and of its value; a repeated key: the last."""
    offsets: dict[str, tuple[int, int]] = {}
    # Not valid JSON after all: what was found before the problem still helps.
    with suppress(IndexError, ValueError, AttributeError):
        _walk(text, offsets)
    return offsets


def _walk(text: str, offsets: dict[str, tuple[int, int]]) -> None:
    stack: list[_Container] = []
    at = _skip(text, 0)
    path, member = ROOT_PATH, at
    while True:
        offsets[path] = (member, at)
        if text[at] in "{[":
            stack.append(_Container(text[at] == "{", path))
            at += 1
        elif text[at] == '"':
            at = scanstring(text, at + 1)[1]
        else:
            at = _SCALAR.match(text, at).end()  # type: ignore[union-attr]  # no match: AttributeError
        while True:  # close finished containers, then step to the next member or item
            if not stack:
                return
            at = _skip(text, at)
            if text[at] in "}]":
                stack.pop()
                at += 1
                continue
            if text[at] == ",":
                at = _skip(text, at + 1)
            path, member, at = _next_member(text, at, stack[-1])
            break


def _next_member(text: str, at: int, container: _Container) -> tuple[str, int, int]:
    """(path, member offset, value offset) of the member or item starting at `at`."""
    container.members += 1
    if not container.is_object:
        return item_path(container.path, container.members - 1), at, at
    key, after_key = scanstring(text, at + 1)
    colon = _skip(text, after_key)
    return child_path(container.path, key), at, _skip(text, colon + 1)


def _skip(text: str, at: int) -> int:
    return _WHITESPACE.match(text, at).end()  # type: ignore[union-attr]  # matches the empty string too
