"""Repo context builder: a repo tarball in, the text a model reads out (tree + files, cut to a window)."""

from app.repo_context.builder import BuiltContext, build_context, build_context_async
from app.repo_context.errors import ContextBuildFailed, ContextBuildTimeout, UnusablePatterns
from app.repo_context.selection import PathSelector
from app.repo_context.tarball import ArchiveLimits, ArchiveTooLarge, InvalidArchive, iter_files
from app.repo_context.tokens import estimate_text_tokens, estimate_tokens

__all__ = [
    "ArchiveLimits",
    "ArchiveTooLarge",
    "BuiltContext",
    "ContextBuildFailed",
    "ContextBuildTimeout",
    "InvalidArchive",
    "PathSelector",
    "UnusablePatterns",
    "build_context",
    "build_context_async",
    "estimate_text_tokens",
    "estimate_tokens",
    "iter_files",
]
