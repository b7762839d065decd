"""The `contextjson` check run's content: a table of ready contexts, or every error found."""

from __future__ import annotations

import re
from urllib.parse import quote

from app.context_files.validation import ValidationIssue, ValidationResult
from github_app import CheckConclusion, CheckOutput

CHECK_NAME = "contextjson"
# Characters with a meaning inside a Markdown line (GitHub's flavour: tables, strikethrough, math, HTML).
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>|!~&$])")


def visitor_link(public_base: str, owner: str, repo: str, branch: str, context_id: str) -> str:
    """The badge/visitor URL of one context entry on a branch."""
    segments = (quote(part, safe="") for part in (owner, repo, "tree", branch, "context", context_id))
    return public_base + "/" + "/".join(segments)


def _text(text: str) -> str:
    """User text shown literally on one line: Markdown's inline characters backslash-escaped."""
    return _INLINE_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _code(text: str, *, in_table: bool = False) -> str:
    """User text as one code span, whatever backticks it holds (a longer fence, CommonMark 6.1)."""
    text = " ".join(text.splitlines())
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    # Content starting or ending with a backtick or space needs one space of padding, which is then removed.
    pad = " " if text[:1] in ("`", " ") or text[-1:] in ("`", " ") else ""
    if in_table:  # GFM splits table cells on every unescaped pipe, even inside code spans
        text = text.replace("|", "\\|")
    return f"{fence}{pad}{text}{pad}{fence}"


def _located(issue: ValidationIssue) -> str:
    if issue.line is None:
        return issue.message
    return f"line {issue.line}, column {issue.column}: {issue.message}"


def _entries_table(result: ValidationResult, links: dict[str, str]) -> str:
    rows = ["| id | summary | link |", "| --- | --- | --- |"]
    for entry_id, entry in sorted(result.entries.items()):
        link = links[entry_id]
        rows.append(f"| {_code(entry_id, in_table=True)} | {_text(entry.summary)} | [{_text(link)}]({link}) |")
    return "\n".join(rows)


def render_check(
    result: ValidationResult, *, public_base: str, owner: str, repo: str, branch: str
) -> tuple[CheckConclusion, CheckOutput]:
    """(conclusion, output) for the check run of a validated context.json."""
    links = {eid: visitor_link(public_base, owner, repo, branch, eid) for eid in result.entries}
    if result.ok:
        count = len(result.entries)
        title = f"{count} context{'s' if count != 1 else ''} ready"
        summary = f"`context.json` is valid. Visitor links for {_code(branch)}:\n\n{_entries_table(result, links)}"
        return "success", CheckOutput(title=title, summary=summary)
    count = len(result.issues)
    title = f"context.json has {count} error{'s' if count != 1 else ''}"
    lines = [f"- {_code(issue.path)}: {_text(_located(issue))}" for issue in result.issues]
    summary = "Fix these problems in `context.json`:\n\n" + "\n".join(lines)
    if result.entries:
        summary += "\n\nThese entries are valid and keep working:\n\n" + _entries_table(result, links)
    return "failure", CheckOutput(title=title, summary=summary)


def render_too_large(size: int, limit: int) -> tuple[CheckConclusion, CheckOutput]:
    """A context.json over the size limit is an error the owner can fix."""
    return "failure", CheckOutput(
        title="context.json is too large",
        summary=f"`context.json` is {size:,} bytes; the limit is {limit:,} bytes.",
    )
