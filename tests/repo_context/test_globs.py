"""Globs on RE2: hostile patterns finish, classes follow git, caps are stated, every translation compiles."""

from __future__ import annotations

import time

import pytest
import re2
from hypothesis import given, settings
from hypothesis import strategies as st

from app.repo_context import UnusablePatterns
from app.repo_context.glob_checks import CheckBudget, check_patterns
from app.repo_context.glob_segments import GlobSyntaxError
from app.repo_context.globs import (
    MAX_EXPANDED_PATTERNS,
    MAX_IGNORE_CHARS,
    MAX_IGNORE_RULES,
    IgnoreRules,
    PatternError,
    compile_globs,
    translate,
)
from app.repo_context.selection import PathSelector

BACKTRACKER = "*a" * 14 + "b"  # froze the old engine for over 30 s against one 60-character name
BRACE_BOMB = "{a,b}" * 40  # 2^40 alternatives; the old engine expanded them all


def matches(pattern: str, path: str) -> bool:
    globs = compile_globs([pattern])
    return globs is not None and globs.matches(path)


def test_backtracking_pattern_is_linear_and_right() -> None:
    started = time.perf_counter()
    globs = compile_globs([BACKTRACKER])
    assert globs is not None
    assert not globs.matches("a" * 60)
    assert not globs.matches("a" * 4000)
    assert globs.matches("a" * 59 + "b")
    assert globs.matches("dir/" + "a" * 20 + "b")  # no slash in the pattern: any depth
    assert not globs.matches("a" * 30 + "/b")  # `*` stays within a segment
    assert time.perf_counter() - started < 5  # generous: the old engine took over 30 s on the first name


def test_backtracking_pattern_in_an_ignore_file() -> None:
    started = time.perf_counter()
    rules = IgnoreRules.parse(f"{BACKTRACKER}\n!keep{BACKTRACKER}\n")
    assert not rules.matches("a" * 60)
    assert rules.matches("src/" + "a" * 58 + "b")
    assert not rules.matches("keep" + "a" * 58 + "b")
    assert time.perf_counter() - started < 5


def test_brace_bomb_is_refused_before_expanding() -> None:
    started = time.perf_counter()
    with pytest.raises(PatternError) as refused:
        compile_globs(["src/**", BRACE_BOMB])
    assert str(refused.value) == "[1]: expands to more than 64 patterns"
    with pytest.raises(UnusablePatterns, match=r"^excludePathPatterns\[0\]: expands to more than 64 patterns$"):
        PathSelector(exclude_path_patterns=[BRACE_BOMB])
    assert time.perf_counter() - started < 5


def test_braces_within_the_limit_expand() -> None:
    assert matches("{src,lib}/**/*.{ts,tsx}", "lib/ui/button.tsx")
    assert matches("file{1..3}.txt", "file2.txt")  # bash-style sequences, also bounded
    assert not matches("file{1..3}.txt", "file4.txt")
    assert matches("\\{a,b}.md", "{a,b}.md")  # escaped braces are literal


def test_ignore_files_follow_git_where_context_patterns_do_not() -> None:
    rules = IgnoreRules.parse("{a,b}.txt\nx[\n[[:nope:]]\nend\\\n")
    assert rules.matches("{a,b}.txt")  # git has no braces
    assert not rules.matches("a.txt")
    assert len(rules) == 1  # the unclosed [, the unknown class and the trailing backslash are dropped


@pytest.mark.parametrize(
    ("patterns", "expected"),
    [
        (["ok/**", "x" * 513], ["[1]: is longer than 512 characters"]),
        (["end\\"], ["[0]: ends with a lone backslash"]),
        (["[[:nope:]]"], ["[0]: unknown character class [:nope:]"]),
        (["{a,b,c,d}{a,b,c,d}{a,b,c,d}"] * 16, ["expand to more than 1,000 patterns in all"]),
        (["{a,b}/" + "x" * 500] * 40, ["expand to more than 32,000 characters in all"]),
        (["{a,b}" * 7, "fine"], ["[0]: expands to more than 64 patterns"]),
    ],
)
def test_caps_and_syntax_are_stated(patterns: list[str], expected: list[str]) -> None:
    assert [str(p) for p in check_patterns(patterns)] == expected
    with pytest.raises(PatternError) as refused:
        compile_globs(patterns)
    assert str(refused.value) == expected[0]


def test_the_check_has_a_budget_and_stays_quick() -> None:
    budget = CheckBudget(chars=1000)
    many = ["{a,b,c,d}{a,b,c,d}{a,b,c,d}"] * 200  # 12,800 alternatives
    started = time.perf_counter()
    first = check_patterns(many, budget)
    assert [str(p) for p in first] == []  # past the budget, a pattern counts as itself ...
    assert budget.chars <= 0
    assert [str(p) for p in check_patterns(many)] == [f"expand to more than {MAX_EXPANDED_PATTERNS:,} patterns in all"]
    with pytest.raises(PatternError):  # ... and building checks everything
        compile_globs(many)
    assert time.perf_counter() - started < 5


def test_ignore_file_rules_are_capped() -> None:
    rules = IgnoreRules(str(i) for i in range(MAX_IGNORE_RULES + 10))
    assert len(rules) == MAX_IGNORE_RULES
    assert rules.matches("0") and rules.matches(str(MAX_IGNORE_RULES - 1))
    assert not rules.matches(str(MAX_IGNORE_RULES + 5))
    long_lines = IgnoreRules(f"{i:03d}" + "x" * 497 for i in range(200))  # 100,000 characters
    assert len(long_lines) == MAX_IGNORE_CHARS // 500


glob_parts = st.sampled_from([*"ab/*?[]!^-:\\.{},é\n", "[:alpha:]", "[:nope:]", "**"])
glob_text = st.lists(glob_parts, max_size=20).map("".join)


@settings(max_examples=400, deadline=None)
@given(glob_text)
def test_every_translation_compiles_in_re2(pattern: str) -> None:
    for unclosed_literal in (True, False):
        try:
            glob = translate(pattern, unclosed_literal=unclosed_literal)
        except GlobSyntaxError:
            continue
        if glob is not None:
            re2.compile(glob.with_descendants())
