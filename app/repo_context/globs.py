"""Gitignore-style globs compiled to regular expressions, for context.json patterns and ignore files.

Semantics (shared by `pathPatterns`, `excludePathPatterns`, `.gitignore` and `.genignore`):

- `*` matches within one path segment, `?` one character of a segment, `[abc]`/`[!a-z]` a character
  class, `{a,b}` alternatives, `\\x` the literal `x`.
- `**` as a whole segment matches any number of segments (`src/**`, `**/*.lock`, `a/**/b`).
- A pattern without a slash (other than a trailing one) matches a name at any depth, as in
  `.gitignore`: `README.md` matches `README.md` and `docs/README.md`; `*.py` every Python file.
  A leading `/` or a slash inside anchors it to the root: `/README.md`, `src/*.py`.
- A pattern matches a path or any of its directories, so `src` and `src/` select all of `src/`.
  A trailing `/` matches directories only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_SEGMENT_CHAR = "[^/]"


def _split_braces(body: str) -> list[str] | None:
    """Split the inside of `{...}` on top-level commas; None when there is no comma."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(body):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(body[start:i])
            start = i + 1
    parts.append(body[start:])
    return parts if len(parts) > 1 else None


def _closing(pattern: str, start: int, open_ch: str, close_ch: str) -> int:
    """Index of the bracket closing the one at `start`, or -1."""
    depth = 0
    for i in range(start, len(pattern)):
        ch = pattern[i]
        if ch == "\\":
            continue
        if ch == open_ch:
            depth += 1
        elif ch == close_ch:
            depth -= 1
            if depth == 0:
                return i
    return -1


def _char_class(pattern: str, i: int) -> tuple[str, int]:
    """Translate `[...]` starting at `i`; a class never matches `/`."""
    j = i + 1
    if j < len(pattern) and pattern[j] in "!^":
        j += 1
    if j < len(pattern) and pattern[j] == "]":
        j += 1
    end = pattern.find("]", j)
    if end < 0:
        return re.escape("["), i + 1
    body = pattern[i + 1 : end]
    negate = body[:1] in ("!", "^")
    if negate:
        body = body[1:]
    body = body.replace("\\", "\\\\")
    return ("[^/" if negate else "[") + body + "]", end + 1


def _segment_regex(segment: str) -> str:
    """Translate one path segment (no `/`, not `**`) to a regex."""
    out, i = [], 0
    while i < len(segment):
        ch = segment[i]
        if ch == "*":
            while i < len(segment) and segment[i] == "*":
                i += 1
            out.append(_SEGMENT_CHAR + "*")
            continue
        if ch == "?":
            out.append(_SEGMENT_CHAR)
        elif ch == "[":
            cls, i = _char_class(segment, i)
            out.append(cls)
            continue
        elif ch == "\\" and i + 1 < len(segment):
            i += 1
            out.append(re.escape(segment[i]))
        else:
            out.append(re.escape(ch))
        i += 1
    return "".join(out)


def _path_regex(body: str) -> str:
    """Translate a slash-separated glob body (braces already expanded) to a regex."""
    segments = body.split("/")
    out: list[str] = []
    last = len(segments) - 1
    for n, seg in enumerate(segments):
        if seg == "**":
            # `a/**/b` → `a/(?:.*/)?b`; a trailing `**` swallows the rest.
            out.append(".*" if n == last else "(?:.*/)?")
            continue
        out.append(_segment_regex(seg) + ("" if n == last else "/"))
    return "".join(out)


def _expand_braces(pattern: str) -> list[str]:
    """Expand `{a,b}` alternatives (nesting allowed) into plain patterns."""
    start = pattern.find("{")
    while start >= 0 and start > 0 and pattern[start - 1] == "\\":
        start = pattern.find("{", start + 1)
    if start < 0:
        return [pattern]
    end = _closing(pattern, start, "{", "}")
    options = _split_braces(pattern[start + 1 : end]) if end > 0 else None
    if options is None:
        head = pattern[: start + 1]
        return [head + rest for rest in _expand_braces(pattern[start + 1 :])]
    tail = pattern[end + 1 :]
    return [pattern[:start] + option + rest for option in options for rest in _expand_braces(tail)][:256]


def _core(pattern: str) -> tuple[str, bool] | None:
    """Regex of the path a glob names (not its descendants) and whether it names directories only."""
    dir_only = pattern.endswith("/")
    pattern = pattern.rstrip("/")
    anchored = pattern.startswith("/") or "/" in pattern.lstrip("/")
    pattern = pattern.lstrip("/")
    if not pattern:
        return None
    bodies = [_path_regex(p) for p in _expand_braces(pattern)]
    core = bodies[0] if len(bodies) == 1 else "(?:" + "|".join(bodies) + ")"
    prefix = "" if anchored or pattern.startswith("**") else "(?:.*/)?"
    return prefix + core, dir_only


def translate(pattern: str) -> str | None:
    """Regex source (for fullmatch) of one glob; None for a blank pattern."""
    parsed = _core(pattern.strip())
    if parsed is None:
        return None
    return _with_descendants(*parsed)


def _with_descendants(core: str, dir_only: bool) -> str:
    """Matching a directory selects everything below it; dir-only patterns match directories only."""
    return core + ("/.*" if dir_only else "(?:/.*)?")


def compile_globs(patterns: Iterable[str]) -> re.Pattern[str] | None:
    """One regex matching any of the globs; None when the list has no pattern."""
    sources = [s for s in (translate(p) for p in patterns) if s is not None]
    if not sources:
        return None
    return re.compile("|".join(f"(?:{s})" for s in sources), re.DOTALL)


@dataclass(frozen=True, slots=True)
class _Rule:
    exact: re.Pattern[str]
    dir_only: bool
    negate: bool


class IgnoreRules:
    """The rules of one root `.gitignore`-style file, matched against repo-root paths."""

    def __init__(self, lines: Iterable[str]):
        """Parse ignore-file lines: comments, blank lines, `!negation`, escapes."""
        rules: list[_Rule] = []
        for raw in lines:
            rule = _parse_rule(raw)
            if rule is not None:
                rules.append(rule)
        self._rules = rules
        # Fast path: a path no positive rule touches (itself or a parent) is never ignored.
        positive = [_with_descendants(r.exact.pattern, r.dir_only) for r in rules if not r.negate]
        self._any = re.compile("|".join(f"(?:{p})" for p in positive), re.DOTALL) if positive else None
        self._has_negation = any(r.negate for r in rules)

    @classmethod
    def parse(cls, text: str) -> IgnoreRules:
        """Rules from the text of an ignore file."""
        return cls(text.splitlines())

    def __bool__(self) -> bool:
        return bool(self._rules)

    def __len__(self) -> int:
        return len(self._rules)

    def matches(self, path: str) -> bool:
        """Whether the file at `path` is ignored."""
        if self._any is None or not self._any.fullmatch(path):
            return False
        if not self._has_negation:
            return True
        return self._ignored_with_negations(path)

    def _ignored_with_negations(self, path: str) -> bool:
        """Git's rule: the last matching rule wins, and nothing under an ignored directory comes back."""
        parts = path.split("/")
        for depth in range(1, len(parts)):
            if self._verdict("/".join(parts[:depth]), is_dir=True):
                return True
        return self._verdict(path, is_dir=False)

    def _verdict(self, path: str, *, is_dir: bool) -> bool:
        """Ignored-ness of one path by the last rule naming it."""
        for rule in reversed(self._rules):
            if (is_dir or not rule.dir_only) and rule.exact.fullmatch(path):
                return not rule.negate
        return False


def _parse_rule(raw: str) -> _Rule | None:
    """One ignore-file line as a rule; None for blanks and comments."""
    line = _strip_trailing_spaces(raw.rstrip("\r\n"))
    if not line or line.startswith("#"):
        return None
    negate = line.startswith("!")
    if negate or line.startswith(("\\!", "\\#")):
        line = line[1:]
    parsed = _core(line)
    if parsed is None:
        return None
    core, dir_only = parsed
    return _Rule(re.compile(core, re.DOTALL), dir_only, negate)


def _strip_trailing_spaces(line: str) -> str:
    """Trailing spaces are dropped unless escaped with a backslash, as git does."""
    stripped = line.rstrip(" ")
    if stripped.endswith("\\") and len(stripped) < len(line):
        return stripped[:-1] + " "
    return stripped
