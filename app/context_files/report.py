"""The `contextjson` check run's content: ready contexts with their README badges, or every error found.

Each error is also an annotation on context.json at its line, so it shows inline in pull-request diffs.
"""

from __future__ import annotations

import re

from app.context_files.json_paths import FILE_PATH
from app.context_files.snippets import badge_snippet, context_snippet, repository_badge_url, visitor_link
from app.context_files.snippets import markdown_text as _text
from app.context_files.validation import ValidationIssue, ValidationResult
from github_app import CheckAnnotation, CheckConclusion, CheckOutput

__all__ = ["CHECK_NAME", "issue_annotations", "render_check", "render_too_large", "visitor_link"]

CHECK_NAME = "contextjson"
# GitHub cuts a summary at 65,535 characters; badge snippets stop well before, with a note, never mid-block.
_SNIPPETS_BUDGET = 50_000
# Annotations take one request per 50; a hostile file can have thousands of errors, the owner fixes a few first.
MAX_ANNOTATIONS = 500


def _code(text: str, *, in_table: bool = False) -> str:
    """User text as one code span, whatever backticks it holds (a longer fence, CommonMark 6.1)."""
    text = " ".join(text.splitlines())
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    # Content starting or ending with a backtick or space needs one space of padding, which is then removed.
    pad = " " if text[:1] in ("`", " ") or text[-1:] in ("`", " ") else ""
    if in_table:  # GFM splits table cells on every unescaped pipe, even inside code spans
        text = text.replace("|", "\\|")
    return f"{fence}{pad}{text}{pad}{fence}"


def _block(language: str, text: str) -> str:
    """A fenced code block (GitHub shows a copy button) that no backtick run inside can close early."""
    fence = "`" * max(3, max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    return f"{fence}{language}\n{text}\n{fence}"


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


def _badges(result: ValidationResult, public_base: str, owner: str, repo: str, branch: str) -> str:
    """Per context, the README badge linking to its visitor link, in Markdown and HTML; then the repository's."""
    parts = ["README badges (paste one into your README; each links to the visitor link above):"]
    used, shown = len(parts[0]), 0
    for entry_id, entry in sorted(result.entries.items()):
        snippet = context_snippet(public_base, owner, repo, branch, entry_id, entry.summary)
        part = f"#### {_code(entry_id)}\n\n{_block('markdown', snippet.markdown)}\n\n{_block('html', snippet.html)}"
        if used + len(part) > _SNIPPETS_BUDGET:
            break
        parts.append(part)
        used, shown = used + len(part), shown + 1
    if shown < len(result.entries):
        parts.append(f"…and {len(result.entries) - shown} more: their badges follow the same pattern.")
    first = next(iter(result.entries))  # the owner's first context in the file
    whole = badge_snippet(
        "contextjson",
        repository_badge_url(public_base, owner, repo, branch),
        visitor_link(public_base, owner, repo, branch, first),
    )
    parts.append(f"Repository badge (its number of contexts, linking to {_code(first)}):")
    parts.append(_block("markdown", whole.markdown))
    return "\n\n".join(parts)


def issue_annotations(issues: list[ValidationIssue]) -> tuple[CheckAnnotation, ...]:
    """Each issue as a failure annotation on context.json at its line (the first line when it has none)."""
    found = []
    for issue in issues:
        start, end = (issue.line, issue.line) if issue.line is not None else issue.lines or (1, 1)
        found.append(
            CheckAnnotation(
                path=FILE_PATH,
                start_line=start,
                end_line=end,
                message=issue.message,
                title=issue.path,
                start_column=issue.column,
            )
        )
    return tuple(found)


def render_check(
    result: ValidationResult, *, public_base: str, owner: str, repo: str, branch: str
) -> tuple[CheckConclusion, CheckOutput]:
    """(conclusion, output) for the check run of a validated context.json."""
    links = {eid: visitor_link(public_base, owner, repo, branch, eid) for eid in result.entries}
    badges = _badges(result, public_base, owner, repo, branch) if result.entries else ""
    if result.ok:
        count = len(result.entries)
        title = f"{count} context{'s' if count != 1 else ''} ready"
        summary = f"`context.json` is valid. Visitor links for {_code(branch)}:\n\n{_entries_table(result, links)}"
        return "success", CheckOutput(title=title, summary=f"{summary}\n\n{badges}")
    count = len(result.issues)
    title = f"context.json has {count} error{'s' if count != 1 else ''}"
    lines = [f"- {_code(issue.path)}: {_text(_located(issue))}" for issue in result.issues]
    summary = "Fix these problems in `context.json`:\n\n" + "\n".join(lines)
    if count > MAX_ANNOTATIONS:
        summary += f"\n\nThe first {MAX_ANNOTATIONS:,} of them are also marked on their lines of `context.json`."
    if result.entries:
        summary += "\n\nThese entries are valid and keep working:\n\n" + _entries_table(result, links)
        summary += "\n\n" + badges
    return "failure", CheckOutput(
        title=title, summary=summary, annotations=issue_annotations(result.issues[:MAX_ANNOTATIONS])
    )


def render_too_large(size: int, limit: int) -> tuple[CheckConclusion, CheckOutput]:
    """A context.json over the size limit is an error the owner can fix."""
    message = f"`context.json` is {size:,} bytes; the limit is {limit:,} bytes."
    too_large = CheckAnnotation(path=FILE_PATH, start_line=1, end_line=1, message=message, title="too large")
    return "failure", CheckOutput(title="context.json is too large", summary=message, annotations=(too_large,))
