"""Which files of a repo form a context: basePath, pathPatterns, excludePathPatterns, maxFileSize, noise.

Paths given to the selector are relative to the repo root (the tarball's top directory stripped).
`basePath` keeps only the files below it, and the patterns are matched against the path relative to
`basePath` (see `globs` for the glob rules). Built-in noise (`noise.is_noise`, checked on the repo-root
path) and a root `.gitignore`/`.genignore` are left out unless a pattern names the file or one of its
directories literally, without wildcards (`"pathPatterns": ["yarn.lock"]` gets the lock file back).

Compiling the patterns is bounded by the caps of `globs` and matching is linear (RE2), but both still
cost CPU: build selectors in the worker thread that builds the context, never on the event loop.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from app.repo_context.errors import UnusablePatterns
from app.repo_context.globs import GlobSet, PatternError, compile_globs
from app.repo_context.noise import is_noise

_WILDCARDS = re.compile(r"[*?\[{]")

# Reasons reported in `BuiltContext.skipped`.
OUTSIDE_BASE_PATH = "outside_base_path"
NOT_MATCHED = "not_matched"
EXCLUDED = "excluded"
NOISE = "noise"
TOO_LARGE = "too_large"


class PathSelector:
    """The file filter of one context.json entry, compiled once."""

    def __init__(
        self,
        base_path: str | None = None,
        path_patterns: Sequence[str] | None = None,
        exclude_path_patterns: Sequence[str] | None = None,
        max_file_size: int | None = None,
        *,
        skip_noise: bool = True,
    ):
        """Compile the patterns (no patterns selects every file); `UnusablePatterns` names a bad one."""
        base = (base_path or "").strip().strip("/")
        self.base_prefix = base + "/" if base else ""
        self.max_file_size = max_file_size
        self.skip_noise = skip_noise
        patterns = list(path_patterns or [])
        self._include = _compile("pathPatterns", patterns)
        self._exclude = _compile("excludePathPatterns", list(exclude_path_patterns or []))
        self._explicit = _compile("pathPatterns", [p for p in patterns if not _WILDCARDS.search(p)])

    def relative(self, path: str) -> str | None:
        """The path relative to basePath, or None when it lies outside it."""
        if not self.base_prefix:
            return path
        if path.startswith(self.base_prefix):
            return path[len(self.base_prefix) :]
        return None

    def reason(self, path: str, size: int) -> str | None:
        """Why the file at repo-root `path` is left out, or None when it is wanted."""
        rel = self.relative(path)
        if rel is None:
            return OUTSIDE_BASE_PATH
        if self._include is not None and not self._include.matches(rel):
            return NOT_MATCHED
        if self._exclude is not None and self._exclude.matches(rel):
            return EXCLUDED
        if self.skip_noise and is_noise(path) and not self.is_explicit(path):
            return NOISE
        if self.max_file_size is not None and size > self.max_file_size:
            return TOO_LARGE
        return None

    def wants(self, path: str, size: int) -> bool:
        """Whether the file at repo-root `path` with `size` bytes belongs to the context."""
        return self.reason(path, size) is None

    def is_explicit(self, path: str) -> bool:
        """Whether a wildcard-free pattern names this file or a directory of it (beats noise/ignores)."""
        if self._explicit is None:
            return False
        rel = self.relative(path)
        return rel is not None and self._explicit.matches(rel)


def _compile(field: str, patterns: list[str]) -> GlobSet | None:
    """One field's patterns compiled; a problem is raised as `UnusablePatterns` naming the field."""
    try:
        return compile_globs(patterns)
    except PatternError as exc:
        where = field if exc.index is None else f"{field}[{exc.index}]"
        raise UnusablePatterns(f"{where}: {exc.reason}") from None
