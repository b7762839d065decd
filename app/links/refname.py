"""Branch names as git accepts them (`git check-ref-format --branch`), so one branch has one spelling.

A visitor link carries the branch in its path. Anything git would refuse as a branch name is refused
here, before any database read or GitHub call: dot segments (`x/../main`, `./main`), doubled or
leading/trailing slashes, a `.lock` suffix, control characters and NUL, the characters `~^:?*[\\` and
space, `@{`, a lone `@`, `HEAD` and a leading `-`. What remains is a name that cannot be rewritten by URL or
path normalisation on its way to GitHub, and that names exactly one branch.
"""

from __future__ import annotations

import re

MAX_BRANCH_BYTES = 255  # git allows more, but no host does; GitHub refuses names this long anyway

# One character class for everything git bans anywhere in a ref: ASCII controls (NUL included), DEL,
# space and ~ ^ : ? * [ \
_FORBIDDEN_CHARS = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]")


class InvalidBranchName(ValueError):
    """The text is not a valid git branch name; the message says why, for the visitor's error page."""


def check_branch_name(name: str) -> str:
    """The name unchanged when git accepts it as a branch name; raises InvalidBranchName otherwise."""
    reason = _problem(name)
    if reason is not None:
        raise InvalidBranchName(reason)
    return name


def is_valid_branch_name(name: str) -> bool:
    """Whether git accepts `name` as a branch name."""
    return _problem(name) is None


def _problem(name: str) -> str | None:
    """Why git refuses the name, or None (rules in the order `git check-ref-format` documents them)."""
    if not name:
        return "is empty"
    if len(name.encode("utf-8", "surrogatepass")) > MAX_BRANCH_BYTES:
        return f"is longer than {MAX_BRANCH_BYTES} bytes"
    if _FORBIDDEN_CHARS.search(name):
        return "contains a space, a control character or one of ~ ^ : ? * [ \\"
    if name.startswith("/") or name.endswith("/") or "//" in name:
        return "has an empty path component (a leading, trailing or doubled /)"
    if ".." in name:
        return 'contains ".."'
    if "@{" in name:
        return 'contains "@{"'
    if name == "@":
        return 'is "@"'
    if name.startswith("-"):
        return 'starts with "-"'
    if name == "HEAD":
        return 'is "HEAD"'
    if name.endswith("."):
        return 'ends with "."'
    for component in name.split("/"):
        if component.startswith("."):
            return 'has a path component starting with "."'
        if component.endswith(".lock"):
            return 'has a path component ending with ".lock"'
    if any(0xD800 <= ord(char) <= 0xDFFF for char in name):
        return "is not valid UTF-8"
    return None
