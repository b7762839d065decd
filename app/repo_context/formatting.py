"""Text layout of a repo context: file tree, then each file as path line, separator line, content.

Path lines are made safe (one line, no control or invisible characters); content is verbatim, so the
text is for a model to read, not a format to parse back (a file may contain a separator line).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

SEPARATOR = "=" * 64
# `=`*64 is one token in o200k/cl100k; the path line's newline and the block's blank line add two.
SEPARATOR_TOKENS = 3
TREE_TITLE = "File tree ({count} files):"
PARTIAL_MARK = "\n[... file cut here to fit the context window ...]\n"

_NAMED_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _escape(ch: str) -> str:
    """Visible escape of one unprintable character (undecodable bytes come back as `\\xNN`)."""
    if ch in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[ch]
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # a raw byte kept by surrogateescape
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def display_path(path: str) -> str:
    """A path safe for one line: control, line-break, bidi, zero-width and surrogate characters escaped."""
    if path.isprintable():
        return path
    return "".join(ch if ch.isprintable() else _escape(ch) for ch in path)


def tree_lines(paths: Iterable[str]) -> Iterator[str]:
    """An indented tree (two spaces a level, directories end in `/`) of sorted paths."""
    previous: list[str] = []
    for path in paths:
        *dirs, name = path.split("/")
        common = 0
        while common < min(len(dirs), len(previous)) and dirs[common] == previous[common]:
            common += 1
        for depth in range(common, len(dirs)):
            yield "  " * depth + display_path(dirs[depth]) + "/"
        yield "  " * len(dirs) + display_path(name)
        previous = dirs


def file_head(path: str) -> str:
    """The lines that open a file's block: its path and the separator."""
    line = display_path(path)
    if line == SEPARATOR:  # a file named like the separator must not look like one
        line = "./" + line
    return f"{line}\n{SEPARATOR}\n"


def file_tail(content: str) -> str:
    """What closes a file's block: a final newline when missing, then a blank line."""
    return "\n" if content.endswith("\n") else "\n\n"


def cut_notice(included: int, total: int, omitted_tokens: int, *, partial: bool) -> str:
    """The line that tells the model the context was cut."""
    partly = ", the last one partly" if partial else ""
    return (
        f"[context cut to fit the model's context window: {included} of {total} files included{partly},"
        f" ~{omitted_tokens} tokens omitted]\n"
    )
