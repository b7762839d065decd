"""Gitignore-style globs for context.json patterns and ignore files, matched in linear time.

Every pattern becomes a regular expression of the paths it names, and all patterns of one list are
matched as one google-re2 set: time linear in the path, no backtracking, whatever the patterns say.
Braces are expanded by `bracex` with a limit; caps on count and length bound the cost of compiling.

Semantics (git's gitignore rules; git 2.39 is the reference of `tests/repo_context/test_globs_git.py`):

- `*` matches within one path segment, `?` one character of a segment, `[abc]`/`[!a-z]`/`[[:digit:]]`
  a character class (never `/`), `\\x` the literal `x`.
- `**` as a whole segment matches any number of segments (`src/**`, `**/*.lock`, `a/**/b`).
- A pattern without a slash (other than a trailing one) matches a name at any depth, as in
  `.gitignore`: `README.md` matches `README.md` and `docs/README.md`; `*.py` every Python file.
  A leading `/` or a slash inside anchors it to the root: `/README.md`, `src/*.py`.
- A pattern matches a path or any of its directories, so `src` and `src/` select all of `src/`.
  A trailing `/` matches directories only.
- Wildcards and classes count characters, where git counts bytes (so `caf?` matches `café` here).

`pathPatterns`/`excludePathPatterns` (`compile_globs`) also take `{a,b}` alternatives (at most
`MAX_EXPANSIONS` per pattern) and keep an unclosed `[` literal; surrounding spaces are trimmed.
Ignore files (`IgnoreRules`) follow git: `#` comments, `!` negation where the last matching rule wins
and nothing under an ignored directory comes back, trailing spaces dropped unless escaped, braces
literal, and a line git would not use (an unclosed `[`, a trailing `\\`) skipped.

pathspec's `GitIgnoreSpec` was the first choice, but it lets a `!` rule bring back files under an
ignored directory and decides directories by rules that matched only a parent, so it disagrees with
git on rule sets that use `!`; it has no per-rule "this path itself" match to correct that with.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import bracex
import re2

from app.repo_context.glob_segments import EmptyClass, GlobSyntaxError, segment_regex

MAX_PATTERN_CHARS = 512  # one pattern or ignore-file line
MAX_EXPANSIONS = 64  # plain patterns one `{...}` pattern may stand for
MAX_EXPANDED_PATTERNS = 1000  # per pattern list, after brace expansion
MAX_LIST_CHARS = 32_000  # characters of a pattern list, after brace expansion
MAX_IGNORE_RULES = 5_000  # rules of one ignore file; later lines are not read
MAX_IGNORE_CHARS = 50_000  # characters of the rules of one ignore file; likewise
_RE2_MAX_MEM = 16 << 20  # compiled program and DFA cache of one set

log = logging.getLogger("contextjson.repo_context")

_SURROGATES = re.compile("[\ud800-\udfff]")


class PatternError(ValueError):
    """A selection pattern that cannot be used; `index` is its place in the list (None: the whole list)."""

    def __init__(self, index: int | None, reason: str):
        super().__init__(reason if index is None else f"[{index}]: {reason}")
        self.index, self.reason = index, reason


@dataclass(frozen=True, slots=True)
class Glob:
    """One pattern as a regex (full match) of the paths it names itself, not of what lies below them."""

    regex: str
    dir_only: bool

    def with_descendants(self) -> str:
        """Regex of the named paths and everything below them."""
        return self.regex + ("/.*" if self.dir_only else "(?:/.*)?")


def translate(pattern: str, *, unclosed_literal: bool = True) -> Glob | None:
    """A gitignore-style pattern (braces already expanded) as a `Glob`; None when it names nothing."""
    dir_only = pattern.endswith("/")
    body = pattern.rstrip("/")
    anchored = "/" in body  # a leading or inner slash; a trailing one only means "directory"
    body = body.lstrip("/")
    if not body:
        return None
    segments = body.split("/")
    last = len(segments) - 1
    parts = ["" if anchored or segments[0] == "**" else "(?:.*/)?"]
    for n, segment in enumerate(segments):
        if segment == "**":
            # `a/**/b` → `a/(?:.*/)?b`; a trailing `**` is everything below.
            parts.append(".+" if n == last else "(?:.*/)?")
        else:
            parts.append(segment_regex(segment, unclosed_literal=unclosed_literal) + ("" if n == last else "/"))
    return Glob("".join(parts), dir_only)


def _subject(path: str) -> str:
    """The path as RE2 takes it: lone surrogates (undecodable bytes of a tar name) become U+FFFD."""
    return path if path.isascii() else _SURROGATES.sub("\ufffd", path)


def _regex_set(regexes: Iterable[str]) -> re2.Set:
    """One compiled RE2 set matching whole paths; `.` also matches a newline in a name."""
    options = re2.Options()
    options.dot_nl = True
    options.never_capture = True
    options.log_errors = False
    options.max_mem = _RE2_MAX_MEM
    regex_set = re2.Set.FullMatchSet(options)
    for regex in regexes:
        regex_set.Add(regex)
    regex_set.Compile()
    return regex_set


# ---------------------------------------------------------------- context.json patterns


def expand_braces(pattern: str) -> list[str]:
    """The brace alternatives of one pattern (escapes kept), or `GlobSyntaxError` past the limit."""
    if "{" not in pattern:
        return [pattern]
    try:
        return bracex.expand(pattern, keep_escapes=True, limit=MAX_EXPANSIONS)
    except bracex.ExpansionLimitException:
        raise GlobSyntaxError(f"expands to more than {MAX_EXPANSIONS} patterns") from None


def _translate_selection(pattern: str) -> tuple[list[Glob], int]:
    """The globs of one context.json pattern and the characters it expands to; `GlobSyntaxError` if unusable."""
    check_length(pattern)
    globs, chars = [], 0
    for alternative in expand_braces(pattern.strip()):
        chars += len(alternative)
        try:
            glob = translate(alternative.strip())
        except EmptyClass:
            continue  # an alternative that can match nothing adds nothing
        if glob is not None:
            globs.append(glob)
    return globs, chars


def _translate_list(patterns: Sequence[str]) -> tuple[list[Glob], list[PatternError]]:
    """The globs of a pattern list and every problem, by index (None: the list as a whole)."""
    globs: list[Glob] = []
    problems: list[PatternError] = []
    chars = 0
    for index, pattern in enumerate(patterns):
        try:
            more, size = _translate_selection(pattern)
        except GlobSyntaxError as exc:
            problems.append(PatternError(index, str(exc)))
            continue
        globs += more
        chars += size
    too_many = list_problem(len(globs), chars)
    return globs, problems + ([too_many] if too_many else [])


def check_length(pattern: str) -> None:
    """`GlobSyntaxError` for a pattern over `MAX_PATTERN_CHARS`."""
    if len(pattern) > MAX_PATTERN_CHARS:
        raise GlobSyntaxError(f"is longer than {MAX_PATTERN_CHARS} characters")


def list_problem(alternatives: int, chars: int) -> PatternError | None:
    """The problem of a pattern list expanding to `alternatives` patterns of `chars` characters, if any."""
    if alternatives > MAX_EXPANDED_PATTERNS:
        return PatternError(None, f"expand to more than {MAX_EXPANDED_PATTERNS:,} patterns in all")
    if chars > MAX_LIST_CHARS:
        return PatternError(None, f"expand to more than {MAX_LIST_CHARS:,} characters in all")
    return None


class GlobSet:
    """Patterns matched together; a path matches when a pattern names it or one of its directories."""

    def __init__(self, globs: Sequence[Glob]):
        """Compile the globs into one RE2 set; `PatternError` if RE2 refuses them (beyond its memory)."""
        try:
            self._set = _regex_set(glob.with_descendants() for glob in globs) if globs else None
        except re2.error:
            raise PatternError(None, "are too complex to match") from None

    def matches(self, path: str) -> bool:
        """Whether a pattern names `path` (relative, `/`-separated) or a directory of it."""
        return self._set is not None and self._set.Match(_subject(path)) is not None


def compile_globs(patterns: Iterable[str]) -> GlobSet | None:
    """One matcher for a pattern list; None when it has no pattern; `PatternError` for the first problem.

    A list whose patterns can match nothing (`[z-a]`) gives a matcher that matches nothing, not None.
    """
    patterns = list(patterns)
    globs, problems = _translate_list(patterns)
    if problems:
        raise problems[0]
    return GlobSet(globs) if patterns else None


# ---------------------------------------------------------------- ignore files


@dataclass(frozen=True, slots=True)
class _Rule:
    glob: Glob
    negate: bool


def _strip_trailing_spaces(line: str) -> str:
    """Trailing spaces are dropped unless escaped with a backslash, as git does."""
    stripped = line.rstrip(" ")
    if stripped.endswith("\\") and len(stripped) < len(line):
        return stripped + " "
    return stripped


def _parse_rule(raw: str) -> _Rule | None:
    """One ignore-file line as a rule; None for blanks, comments and lines git would not use."""
    line = _strip_trailing_spaces(raw.rstrip("\r\n"))
    if not line or line.startswith("#") or len(line) > MAX_PATTERN_CHARS:
        return None
    negate = line.startswith("!")
    if negate:
        line = line[1:]
    try:
        glob = translate(line, unclosed_literal=False)
    except GlobSyntaxError:
        return None
    return _Rule(glob, negate) if glob is not None else None


def _read_rules(lines: Iterable[str]) -> list[_Rule]:
    """The rules of an ignore file, up to `MAX_IGNORE_RULES` rules and `MAX_IGNORE_CHARS` characters."""
    rules: list[_Rule] = []
    chars = 0
    for line in lines:
        rule = _parse_rule(line)
        if rule is None:
            continue
        chars += len(line)
        if len(rules) >= MAX_IGNORE_RULES or chars > MAX_IGNORE_CHARS:
            log.info("repo_context.ignore_file_cut rules=%d", len(rules))
            break
        rules.append(rule)
    return rules


class IgnoreRules:
    """The rules of one root `.gitignore`-style file, matched against repo-root paths."""

    def __init__(self, lines: Iterable[str]):
        """Parse ignore-file lines; rules past `MAX_IGNORE_RULES` or `MAX_IGNORE_CHARS` are not read."""
        rules = _read_rules(lines)
        self._negate = [rule.negate for rule in rules]
        self._dir_only = [rule.glob.dir_only for rule in rules]
        # `_touched`: a rule that ignores names the path or a directory of it (else it is not ignored).
        positive = [rule.glob.with_descendants() for rule in rules if not rule.negate]
        try:
            self._touched = _regex_set(positive) if positive else None
            self._exact = _regex_set(rule.glob.regex for rule in rules) if any(self._negate) else None
        except re2.error:  # beyond RE2's memory even within the caps: the file is a hint, not a must
            log.warning("repo_context.ignore_file_unused rules=%d", len(rules))
            self._touched = self._exact = None

    @classmethod
    def parse(cls, text: str) -> IgnoreRules:
        """Rules from the text of an ignore file."""
        return cls(text.splitlines())

    def __bool__(self) -> bool:
        return bool(self._negate)

    def __len__(self) -> int:
        return len(self._negate)

    def matches(self, path: str) -> bool:
        """Whether the file at `path` is ignored."""
        subject = _subject(path)
        if self._touched is None or self._touched.Match(subject) is None:
            return False
        if self._exact is None:
            return True
        # git: the last rule naming a path decides, and nothing under an ignored directory comes back.
        parts = subject.split("/")
        for depth in range(1, len(parts)):
            if self._verdict("/".join(parts[:depth]), is_dir=True):
                return True
        return self._verdict(subject, is_dir=False)

    def _verdict(self, path: str, *, is_dir: bool) -> bool:
        """Whether the last rule naming `path` itself ignores it."""
        assert self._exact is not None
        ids = self._exact.Match(path) or ()
        last = max((i for i in ids if is_dir or not self._dir_only[i]), default=None)
        return last is not None and not self._negate[last]
