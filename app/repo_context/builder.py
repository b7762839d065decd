"""Build the repo context text from a tarball: select, decode, estimate tokens, cut to the window.

Ignore files: a root `.gitignore` and `.genignore` are read whenever they pass in the stream, and
applied to every file, including those that came before them (selected files are held until the end
anyway, since the tree is written before any content).

Memory stays bounded by the window, whatever the archive holds: while streaming, the content of the
last files in path order is dropped as soon as the files before them fill the window (their path,
size and token estimate are kept). When an ignore file that comes later then leaves out files that
were held, some dropped content may fit after all; it is read again in a second pass over the archive
(a file on disk, or spooled to one). GitHub lists entries in git's path order, where the root ignore
files come early, so the second pass is rare.

A time budget, checked between files, stops a build that takes too long (`ContextBuildTimeout`).
"""

from __future__ import annotations

import asyncio
import heapq
import time
from collections import Counter
from collections.abc import AsyncIterable, Callable
from dataclasses import dataclass, field

from app.repo_context.errors import ContextBuildTimeout
from app.repo_context.formatting import (
    PARTIAL_MARK,
    SEPARATOR_TOKENS,
    TREE_TITLE,
    cut_notice,
    display_path,
    file_head,
    file_tail,
    tree_lines,
)
from app.repo_context.globs import IgnoreRules
from app.repo_context.selection import TOO_LARGE, PathSelector
from app.repo_context.tarball import ArchiveFile, ArchiveLimits, Source, iter_files, rereadable, spool_chunks
from app.repo_context.tokens import estimate_text_tokens, estimate_tokens

IGNORE_FILES = (".genignore", ".gitignore")
BINARY = "binary"
IGNORED = "ignored"
CUT = "cut"

_IGNORE_FILE_MAX = 1024 * 1024
_BINARY_PROBE = 8192
_NOTICE_RESERVE = 40  # tokens kept free for the cut notice
_MIN_PARTIAL = 64  # a partial file smaller than this many tokens is not worth including
_TREE_SHARE = 4  # the tree may take at most 1/4 of the window


@dataclass(slots=True)
class BuiltContext:
    """The context text and what went into it."""

    text: str
    files: list[str]  # paths whose content is in the text (the last one partly when truncated)
    # reason → files left out: outside_base_path, not_matched, excluded, noise, too_large, ignored,
    # binary, cut (beyond the window), link, special, unsafe_path (the last three from the archive)
    skipped: dict[str, int]
    total_bytes: int  # UTF-8 bytes of file content in the text
    estimated_tokens: int
    truncated: bool


@dataclass(slots=True, eq=False)
class _Candidate:
    path: str
    index: int  # place among the archive's files, to find it again in a second pass
    text: str | None  # None while dropped for lying beyond the window
    tokens: int
    size: int

    def __lt__(self, other: _Candidate) -> bool:
        # Reversed so that a heap's top is the last file in path order: the first to be cut.
        return self.path > other.path


def decode_text(data: bytes) -> str | None:
    """The file as text, or None for binary: a NUL byte in the first 8 KB or invalid UTF-8."""
    if data.find(b"\x00", 0, _BINARY_PROBE) >= 0:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text[1:] if text.startswith("\ufeff") else text


class _Deadline:
    """The end of a build's time budget (None: no budget)."""

    def __init__(self, seconds: float | None):
        self.seconds = seconds
        self._end = None if seconds is None else time.monotonic() + seconds

    def check(self) -> None:
        """`ContextBuildTimeout` once the budget is spent."""
        if self._end is not None and time.monotonic() > self._end:
            raise ContextBuildTimeout(self.seconds or 0)


@dataclass(slots=True)
class _Collector:
    """Selected files gathered while streaming, with content past the window dropped early."""

    selector: PathSelector
    max_tokens: int
    limits: ArchiveLimits
    candidates: list[_Candidate] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    ignores: list[IgnoreRules] = field(default_factory=list)
    _kept: list[_Candidate] = field(default_factory=list)  # heap of the candidates holding text
    _kept_tokens: int = 0

    def add(self, index: int, file: ArchiveFile) -> None:
        """Take one archive file: read it only if it may be selected (or is a root ignore file)."""
        data = None
        if file.path in IGNORE_FILES and file.size <= min(_IGNORE_FILE_MAX, self.limits.max_file_bytes):
            data = file.read()
            self._add_ignore_file(IgnoreRules.parse(data.decode("utf-8", "replace")))
        reason = self._reason(file)
        if reason is not None:
            self.skipped[reason] += 1
            return
        self._keep(index, file.path, data if data is not None else file.read())
        self._drop_beyond_window()

    def _reason(self, file: ArchiveFile) -> str | None:
        """Why a file is left out before reading it, or None."""
        reason = self.selector.reason(file.path, file.size)
        if reason is None and file.size > self.limits.max_file_bytes:
            reason = TOO_LARGE
        if reason is None and self._ignored(file.path):
            reason = IGNORED
        return reason

    def _ignored(self, path: str) -> bool:
        """Whether an ignore file seen so far leaves the path out (a literal pattern overrides)."""
        return any(rules.matches(path) for rules in self.ignores) and not self.selector.is_explicit(path)

    def _add_ignore_file(self, rules: IgnoreRules) -> None:
        """Apply a new ignore file to the files taken before it too."""
        self.ignores.append(rules)
        kept = [c for c in self.candidates if not rules.matches(c.path) or self.selector.is_explicit(c.path)]
        if len(kept) == len(self.candidates):
            return
        self.skipped[IGNORED] += len(self.candidates) - len(kept)
        self.candidates = kept
        self._kept = [c for c in kept if c.text is not None]
        heapq.heapify(self._kept)
        self._kept_tokens = sum(c.tokens for c in self._kept)

    def _keep(self, index: int, path: str, data: bytes) -> None:
        """Decode and hold a selected file, or count it as binary."""
        text = decode_text(data)
        if text is None:
            self.skipped[BINARY] += 1
            return
        candidate = _Candidate(path, index, text, estimate_tokens(data, len(text)), len(data))
        self.candidates.append(candidate)
        heapq.heappush(self._kept, candidate)
        self._kept_tokens += candidate.tokens

    def _drop_beyond_window(self) -> None:
        """Free the content of the last files in path order once the others alone fill the window."""
        while self._kept and self._kept_tokens - self._kept[0].tokens >= self.max_tokens:
            last = heapq.heappop(self._kept)
            last.text = None
            self._kept_tokens -= last.tokens

    def finish(self, reread: Callable[[dict[int, _Candidate]], None]) -> list[_Candidate]:
        """The selected files in path order, with dropped content that fits after all read again."""
        self._kept = []
        ordered = sorted(self.candidates, key=lambda c: c.path)
        wanted: dict[int, _Candidate] = {}
        before = 0
        for candidate in ordered:
            if before >= self.max_tokens:
                break
            if candidate.text is None:
                wanted[candidate.index] = candidate
            before += candidate.tokens
        if wanted:
            reread(wanted)
        return ordered


def _reread(source: Source, limits: ArchiveLimits, deadline: _Deadline, wanted: dict[int, _Candidate]) -> None:
    """Second pass: read the content of the `wanted` files (by archive index) again."""
    last = max(wanted)
    for index, file in enumerate(iter_files(source, limits)):
        deadline.check()
        candidate = wanted.get(index)
        if candidate is not None:
            candidate.text = decode_text(file.read())
        if index >= last:
            return


def _overhead(path: str) -> int:
    """Tokens of a file block beyond its content: the path line and the separator."""
    return estimate_text_tokens(display_path(path)) + SEPARATOR_TOKENS


def _tree_section(paths: list[str], budget: int) -> tuple[str, int, bool]:
    """The tree text, its token estimate, and whether it had to be shortened to `budget`."""
    lines = [TREE_TITLE.format(count=len(paths))]
    used = estimate_text_tokens(lines[0] + "\n")
    shown = 0
    for line in tree_lines(paths):
        cost = estimate_text_tokens(line + "\n")
        if used + cost > budget:
            note = f"[... tree cut: {len(paths) - shown} more files not listed]"
            lines.append(note)
            used += estimate_text_tokens(note)
            return "\n".join(lines) + "\n\n", used, True
        used += cost
        lines.append(line)
        shown += not line.endswith("/")
    return "\n".join(lines) + "\n\n", used, False


def _partial(candidate: _Candidate, room: int) -> str | None:
    """The head of a file (cut at a line end) that fits in `room` tokens, or None if too little fits."""
    room -= _overhead(candidate.path) + estimate_text_tokens(PARTIAL_MARK)
    text = candidate.text
    if text is None or room < _MIN_PARTIAL:
        return None
    chars = int(len(text) * room / max(candidate.tokens, 1))
    for _ in range(4):
        end = text.rfind("\n", 0, chars) + 1 or chars
        piece = text[:end]
        if estimate_text_tokens(piece) <= room:
            return piece or None
        chars = int(chars * 0.9)
    return None


@dataclass(slots=True)
class _Plan:
    full: int = 0  # leading candidates included whole
    partial: str | None = None  # head of the next candidate, if any
    tokens: int = 0  # content tokens of the included blocks


def _fit(candidates: list[_Candidate], budget: int) -> _Plan:
    """How many files fit whole in `budget` tokens, and the head of the next one."""
    plan = _Plan()
    for candidate in candidates:
        cost = candidate.tokens + _overhead(candidate.path)
        if candidate.text is None or plan.tokens + cost > budget:
            plan.partial = _partial(candidate, budget - plan.tokens)
            if plan.partial is not None:
                plan.tokens += estimate_text_tokens(plan.partial) + _overhead(candidate.path)
            return plan
        plan.tokens += cost
        plan.full += 1
    return plan


def _render(head: str, tree: str, candidates: list[_Candidate], plan: _Plan) -> tuple[list[str], int]:
    """The text's parts for a plan, and the UTF-8 bytes of file content in them."""
    parts = [head, tree]
    total_bytes = 0
    for candidate in candidates[: plan.full]:
        content = candidate.text or ""
        parts += (file_head(candidate.path), content, file_tail(content))
        total_bytes += candidate.size
    if plan.partial is not None:
        parts += (file_head(candidates[plan.full].path), plan.partial, PARTIAL_MARK + "\n")
        total_bytes += len(plan.partial.encode("utf-8"))
    return parts, total_bytes


def _assemble(candidates: list[_Candidate], skipped: Counter[str], max_tokens: int, header: str | None) -> BuiltContext:
    """Lay out header, tree and the files that fit; state the cut when some did not."""
    head = header.rstrip("\n") + "\n\n" if header else ""
    head_tokens = estimate_text_tokens(head) if head else 0
    paths = [c.path for c in candidates]
    tree, tree_tokens, tree_cut = _tree_section(paths, max(max_tokens // _TREE_SHARE, 64))
    plan = _fit(candidates, max_tokens - head_tokens - tree_tokens - _NOTICE_RESERVE)
    parts, total_bytes = _render(head, tree, candidates, plan)
    included = plan.full + (plan.partial is not None)
    tokens = head_tokens + tree_tokens + plan.tokens
    truncated = tree_cut or plan.full < len(candidates)
    if truncated:
        omitted = sum(c.tokens for c in candidates[plan.full :])
        if plan.partial is not None:
            omitted = max(omitted - estimate_text_tokens(plan.partial), 0)
        notice = cut_notice(included, len(candidates), omitted, partial=plan.partial is not None)
        parts.append(notice)
        tokens += estimate_text_tokens(notice)
    if len(candidates) > included:
        skipped[CUT] += len(candidates) - included
    return BuiltContext("".join(parts), paths[:included], dict(skipped), total_bytes, tokens, truncated)


def build_context(
    archive: Source,
    selector: PathSelector,
    *,
    max_tokens: int,
    header: str | None = None,
    limits: ArchiveLimits | None = None,
    time_budget: float | None = None,
) -> BuiltContext:
    """The context of a repo tarball (file-like, byte chunks or bytes), cut to `max_tokens`.

    `time_budget` (seconds) bounds the build: `ContextBuildTimeout` when it is spent.
    """
    limits = limits or ArchiveLimits()
    deadline = _Deadline(time_budget)
    collector = _Collector(selector, max_tokens, limits)
    with rereadable(archive, limits.max_archive_bytes) as from_start:
        for index, file in enumerate(iter_files(from_start(), limits, collector.skipped)):
            deadline.check()
            collector.add(index, file)
        candidates = collector.finish(lambda wanted: _reread(from_start(), limits, deadline, wanted))
    deadline.check()
    return _assemble(candidates, collector.skipped, max_tokens, header)


async def build_context_async(
    chunks: AsyncIterable[bytes],
    selector: PathSelector,
    *,
    max_tokens: int,
    header: str | None = None,
    limits: ArchiveLimits | None = None,
    time_budget: float | None = None,
) -> BuiltContext:
    """`build_context` for an async byte stream (e.g. `httpx` `response.aiter_bytes()`), off the loop."""
    limits = limits or ArchiveLimits()
    spool = await spool_chunks(chunks, limits.max_archive_bytes)
    try:
        return await asyncio.to_thread(
            build_context, spool, selector, max_tokens=max_tokens, header=header, limits=limits, time_budget=time_budget
        )
    finally:
        spool.close()
