"""The context.json check of pathPatterns/excludePathPatterns: which pattern breaks a rule of `globs`.

It runs where the file is validated, on the event loop, so its cost is bounded per document: brace
expansion (`bracex` is pure Python, about a microsecond a character) gets a budget of characters, and
a pattern past the budget is only counted as itself. Compiling at build time checks every pattern
again in full (`UnusablePatterns`), so a pattern this check could not afford still fails clearly.
Syntax is checked once on the pattern as written rather than on each alternative; the two differ
only for braces tangled with `[` or `\\` (`a{\\,b}`), which the build then reports.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass

from app.repo_context.glob_segments import EmptyClass, GlobSyntaxError
from app.repo_context.globs import PatternError, check_length, expand_braces, list_problem, translate


@dataclass(slots=True)
class CheckBudget:
    """Characters (read and produced) that brace expansion may still spend in one validation run."""

    chars: int = 200_000


def _check_syntax(pattern: str) -> None:
    """`GlobSyntaxError` if the pattern cannot be translated (only `[` and `\\` can make it fail)."""
    if "[" in pattern or "\\" in pattern:
        with contextlib.suppress(EmptyClass):  # a class that matches nothing is allowed
            translate(pattern)


def _check_one(pattern: str, budget: CheckBudget) -> tuple[int, int]:
    """(alternatives, characters) of one pattern; `GlobSyntaxError` when it breaks a rule."""
    check_length(pattern)
    pattern = pattern.strip()
    _check_syntax(pattern)
    if "{" not in pattern or budget.chars <= 0:
        return 1, len(pattern)
    alternatives = expand_braces(pattern)
    chars = sum(map(len, alternatives))
    budget.chars -= len(pattern) + chars
    return len(alternatives), chars


def check_patterns(patterns: Sequence[str], budget: CheckBudget | None = None) -> list[PatternError]:
    """What makes a pattern list unusable, by index (None: the list as a whole); empty when it is fine."""
    budget = budget if budget is not None else CheckBudget()
    problems: list[PatternError] = []
    alternatives = chars = 0
    for index, pattern in enumerate(patterns):
        try:
            count, size = _check_one(pattern, budget)
        except GlobSyntaxError as exc:
            problems.append(PatternError(index, str(exc)))
            continue
        alternatives += count
        chars += size
    too_many = list_problem(alternatives, chars)
    return problems + ([too_many] if too_many else [])
