"""One path segment of a glob (no `/`) as a regular expression for RE2, linear by construction.

The output uses only literals, `[^/]`, `[^/]*` and character classes, so RE2 (which never backtracks)
matches it in time linear in the path. Bracket expressions follow git's wildmatch: `!` or `^` negates, a
`]` right after the opening (or the negation) is literal, `\\` escapes inside, `a-z` ranges (a reversed
range matches nothing), the POSIX classes `[:alpha:]` etc. (ASCII, as in git's C locale), and a class
never matches `/`. Classes are rewritten member by member rather than copied, since RE2 and git read
`[[:alpha:]]`, `[]a]` or `[!a]` differently.
"""

from __future__ import annotations

import re

# git's wildmatch classes, in the C locale, as ranges valid inside `[...]` for both `re` and RE2.
_POSIX_CLASSES = {
    "alnum": "0-9A-Za-z",
    "alpha": "A-Za-z",
    "blank": "\\t ",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@\\[-`{-~",
    "space": "\\t-\\r ",
    "upper": "A-Z",
    "xdigit": "0-9A-Fa-f",
}
_CLASS_SPECIALS = frozenset("\\]-^[")


class GlobSyntaxError(ValueError):
    """A segment git cannot use: a trailing backslash, an unknown `[:class:]` or (in ignore files) a lone `[`."""


class EmptyClass(GlobSyntaxError):
    """A `[...]` whose ranges are all reversed: it matches no character, so the pattern matches nothing."""


def _class_char(ch: str) -> str:
    """One character as a member of a regex class."""
    return "\\" + ch if ch in _CLASS_SPECIALS else ch


def _escaped(segment: str, i: int) -> tuple[str, int] | None:
    """The class member character at `i` (after a backslash, the next one) and the index after it."""
    if segment[i] == "\\":
        i += 1
        if i >= len(segment):
            return None
    return segment[i], i + 1


def _posix_class(segment: str, i: int) -> tuple[str, int] | None:
    """`[:name:]` at `i` as ranges; None when there is no `:]` (git then reads the `[` as a plain member)."""
    end = segment.find(":]", i + 2)
    if end < 0:
        return None
    name = segment[i + 2 : end]
    ranges = _POSIX_CLASSES.get(name)
    if ranges is None:
        raise GlobSyntaxError(f"unknown character class [:{name}:]")
    return ranges, end + 2


def _class_member(segment: str, i: int) -> tuple[str, int] | None:
    """One member (character, range or POSIX class) of a class at `i`; None when the class is unclosed."""
    if segment.startswith("[:", i):
        posix = _posix_class(segment, i)
        if posix is not None:
            return posix
    first = _escaped(segment, i)
    if first is None:
        return None
    low, i = first
    if i + 1 < len(segment) and segment[i] == "-" and segment[i + 1] != "]":
        last = _escaped(segment, i + 1)
        if last is None:
            return None
        high, i = last
        # git: a reversed range matches nothing; it is left out of the class.
        return (_class_char(low) + "-" + _class_char(high) if low <= high else ""), i
    return _class_char(low), i


def bracket(segment: str, start: int) -> tuple[str, int] | None:
    """The class opening at `start` as a regex class and the index after it; None when it is not closed."""
    i = start + 1
    negate = i < len(segment) and segment[i] in "!^"
    i += negate
    members: list[str] = []
    first = True
    while i < len(segment):
        if segment[i] == "]" and not first:
            body = "".join(members)
            if negate:
                return "[^/" + body + "]", i + 1
            if not body:
                raise EmptyClass("a character class that matches nothing")
            return "[" + body + "]", i + 1
        first = False
        member = _class_member(segment, i)
        if member is None:
            return None
        members.append(member[0])
        i = member[1]
    return None


def segment_regex(segment: str, *, unclosed_literal: bool) -> str:
    """Regex of one glob segment; an unclosed `[` is a literal or a `GlobSyntaxError`."""
    out: list[str] = []
    i = 0
    while i < len(segment):
        ch = segment[i]
        if ch == "*":
            while i < len(segment) and segment[i] == "*":
                i += 1
            out.append("[^/]*")
            continue
        i += 1
        if ch == "?":
            out.append("[^/]")
        elif ch == "\\":
            if i >= len(segment):
                raise GlobSyntaxError("ends with a lone backslash")
            out.append(re.escape(segment[i]))
            i += 1
        elif ch == "[":
            found = bracket(segment, i - 1)
            if found is None and not unclosed_literal:
                raise GlobSyntaxError("has an unclosed [")
            regex, i = found if found is not None else ("\\[", i)
            out.append(regex)
        else:
            out.append(re.escape(ch))
    return "".join(out)
