"""What a result answers: the context entry's summary and prompt, and the files that formed its context.

The entry is stored in `Result.request["entry"]` when the link creates the result. The files are known
only once the generation has built the context: `record_files` adds them to the same JSON column
(`files`: up to MAX_LISTED_FILES paths in path order, `file_count`: how many there were, and
`context_truncated`), so the page can list them with links to GitHub at the result's commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.context_files.validation import render_prompt
from app.db.models import Repository, Result
from app.results.prompting import Plan
from github_app.web import blob_url

# A page lists at most this many files (a broad pattern over a large repo may select thousands).
MAX_LISTED_FILES = 1000


def record_files(result: Result, plan: Plan) -> None:
    """Keep the paths of the files the plan's context holds on the result (no flush: the caller's UPDATE)."""
    # A new dict: the JSON column does not notice changes made inside the old one.
    result.request = {
        **(result.request or {}),
        "files": plan.files[:MAX_LISTED_FILES],
        "file_count": len(plan.files),
        "context_truncated": plan.truncated,
    }


@dataclass(frozen=True)
class ContextFile:
    path: str
    url: str | None  # on GitHub at the result's commit; None when the repository or commit is unknown


@dataclass(frozen=True)
class Question:
    """What was asked, for the result page."""

    summary: str
    prompt: str  # as sent: {{owner}}, {{repo}} and {{branch}} substituted
    files: list[ContextFile] | None  # None: not recorded (older results, or not built yet)
    file_count: int
    truncated: bool


def question_of(result: Result, repo: Repository | None, github_web: str) -> Question | None:
    """The question a result answers, or None when its request names no context entry (e.g. API results)."""
    request: dict[str, Any] = result.request or {}
    entry = request.get("entry")
    if not isinstance(entry, dict) or not entry.get("summary"):
        return None
    owner, name, branch = request.get("owner", ""), request.get("repo", ""), request.get("branch", "")
    prompt = render_prompt(entry.get("prompt") or "", owner=owner, repo=name, branch=branch)
    paths = request.get("files")
    files = None
    if isinstance(paths, list):
        files = [ContextFile(str(path), _file_url(github_web, repo, result.commit_sha, str(path))) for path in paths]
    return Question(
        summary=str(entry["summary"]),
        prompt=prompt,
        files=files,
        file_count=int(request.get("file_count") or len(files or ())),
        truncated=bool(request.get("context_truncated")),
    )


def _file_url(github_web: str, repo: Repository | None, commit: str | None, path: str) -> str | None:
    if repo is None or not commit:
        return None
    return blob_url(github_web, repo.full_name, commit, path)
