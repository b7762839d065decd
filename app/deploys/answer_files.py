"""Parse an LLM answer into files: fenced code blocks that name a path.

Fences follow CommonMark: backticks or tildes, length >= 3, closed by the same
character at least as long as the opening (so longer fences may nest shorter).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_PATH_LENGTH = 255

_FENCE_OPEN = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_PATH_ATTR = re.compile(r"""(?:^|\s)(?:path|file|filename|title)\s*=\s*(?:"([^"]*)"|'([^']*)'|(\S+))""")
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True)
class AnswerFile:
    path: str
    content: str
    line: int


@dataclass(frozen=True)
class Rejected:
    path: str
    line: int
    reason: str


@dataclass(frozen=True)
class ParsedAnswer:
    files: list[AnswerFile]
    rejected: list[Rejected]


def _path_from_info(info: str) -> str | None:
    """The path named by a fence's info string, or None for a plain code block."""
    match = _PATH_ATTR.search(info)
    if match:
        return next(group for group in match.groups() if group is not None)
    words = info.split()
    # ```js src/index.js  — a language then a path; a lone word is a language only
    # unless it looks like a file name.
    if len(words) >= 2 and "=" not in words[1]:
        return words[1]
    if len(words) == 1 and ("/" in words[0] or "." in words[0]) and "=" not in words[0]:
        return words[0]
    return None


def path_problem(path: str) -> str | None:
    """Why a path cannot be written inside a project, or None if it is fine."""
    if not path.strip():
        return "empty path"
    if "\x00" in path:
        return "path contains NUL"
    if len(path) > MAX_PATH_LENGTH:
        return f"path longer than {MAX_PATH_LENGTH} characters"
    if "\\" in path:
        return "path contains a backslash"
    if _DRIVE.match(path):
        return "path has a drive letter"
    if path.startswith("/"):
        return "absolute path"
    segments = path.split("/")
    if ".." in segments:
        return "path has a '..' segment"
    # `./a//b` is normalised to `a/b`; only a trailing slash (a directory) is an error.
    if segments[-1] == "" or any(s.strip() != s for s in segments):
        return "path has an empty or padded segment"
    if any(ord(ch) < 32 for ch in path):
        return "path contains a control character"
    return None


def _normalise(path: str) -> str:
    return "/".join(segment for segment in path.split("/") if segment not in ("", "."))


def parse_answer(text: str) -> ParsedAnswer:
    files: list[AnswerFile] = []
    rejected: list[Rejected] = []
    seen: set[str] = set()
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        opening = _FENCE_OPEN.match(lines[index])
        index += 1
        if not opening:
            continue
        fence, info = opening["fence"], opening["info"]
        if fence[0] == "`" and "`" in info:
            continue  # CommonMark: a backtick fence's info string has no backticks
        start_line = index
        body: list[str] = []
        while index < len(lines):
            stripped = lines[index].lstrip(" ")
            indent = len(lines[index]) - len(stripped)
            run = len(stripped) - len(stripped.lstrip(fence[0]))
            if indent <= 3 and run >= len(fence) and not stripped[run:].strip():
                break
            body.append(lines[index])
            index += 1
        index += 1  # past the closing fence (or the end of the text)
        raw_path = _path_from_info(info.strip())
        if raw_path is None:
            continue
        problem = path_problem(raw_path)
        path = _normalise(raw_path) if problem is None else raw_path
        if problem is None and not path:
            problem = "empty path"
        if problem is None and path in seen:
            problem = "duplicate path"
        if problem is not None:
            rejected.append(Rejected(path=raw_path, line=start_line, reason=problem))
            continue
        seen.add(path)
        content = "\n".join(body) + ("\n" if body else "")
        files.append(AnswerFile(path=path, content=content, line=start_line))
    return ParsedAnswer(files=files, rejected=rejected)


def render_files(files: list[tuple[str, str]]) -> str:
    """Render (path, content) pairs as fences that parse back to the same files."""
    blocks = []
    for path, content in files:
        longest = max((len(m) for m in re.findall(r"`+", content)), default=0)
        fence = "`" * max(3, longest + 1)
        body = content if content.endswith("\n") or not content else content + "\n"
        blocks.append(f'{fence} path="{path}"\n{body}{fence}\n')
    return "\n".join(blocks)


__all__ = ["AnswerFile", "ParsedAnswer", "Rejected", "parse_answer", "path_problem", "render_files"]
