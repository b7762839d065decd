"""The `contextjson` check run's content: a table of ready contexts, or every error found."""

from __future__ import annotations

from urllib.parse import quote

from app.contexts.validation import ValidationIssue, ValidationResult
from github_app import CheckOutput

CHECK_NAME = "contextjson"


def visitor_link(public_base: str, owner: str, repo: str, branch: str, context_id: str) -> str:
    """The badge/visitor URL of one context entry on a branch."""
    return f"{public_base}/{owner}/{repo}/tree/{quote(branch, safe='')}/context/{context_id}"


def _cell(text: str) -> str:
    """Make user text safe inside a Markdown table cell."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ").strip()


def _located(issue: ValidationIssue) -> str:
    if issue.line is None:
        return issue.message
    return f"line {issue.line}, column {issue.column}: {issue.message}"


def _entries_table(result: ValidationResult, links: dict[str, str]) -> str:
    rows = ["| id | summary | link |", "| --- | --- | --- |"]
    for entry_id, entry in sorted(result.entries.items()):
        rows.append(f"| `{entry_id}` | {_cell(entry.summary)} | [{links[entry_id]}]({links[entry_id]}) |")
    return "\n".join(rows)


def render_check(
    result: ValidationResult, *, public_base: str, owner: str, repo: str, branch: str
) -> tuple[str, CheckOutput]:
    """(conclusion, output) for the check run of a validated context.json."""
    links = {eid: visitor_link(public_base, owner, repo, branch, eid) for eid in result.entries}
    if result.ok:
        count = len(result.entries)
        title = f"{count} context{'s' if count != 1 else ''} ready"
        summary = f"`context.json` is valid. Visitor links for `{branch}`:\n\n{_entries_table(result, links)}"
        return "success", CheckOutput(title=title, summary=summary)
    count = len(result.issues)
    title = f"context.json has {count} error{'s' if count != 1 else ''}"
    lines = [f"- `{issue.path}`: {_cell(_located(issue))}" for issue in result.issues]
    summary = "Fix these problems in `context.json`:\n\n" + "\n".join(lines)
    if result.entries:
        summary += "\n\nThese entries are valid and keep working:\n\n" + _entries_table(result, links)
    return "failure", CheckOutput(title=title, summary=summary)


def render_too_large(size: int, limit: int) -> tuple[str, CheckOutput]:
    """A context.json over the size limit is an error the owner can fix."""
    return "failure", CheckOutput(
        title="context.json is too large",
        summary=f"`context.json` is {size:,} bytes; the limit is {limit:,} bytes.",
    )
