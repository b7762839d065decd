"""Each context id of a repository as its owner sees it: valid or not, paused or not, and its visitor link.

Validity is that of the default branch's latest checked context.json (what a README badge without a branch
serves). Ids the file no longer has still show while they are paused (so they can be resumed) or were
clicked this month (links on other branches).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from msgspec import Meta, Struct
from sqlalchemy.ext.asyncio import AsyncSession

from app.context_files.repository import latest_outline
from app.context_files.snippets import visitor_link
from app.context_settings.repository import paused_context_ids, used_context_ids
from app.db.models import ContextFileStatus, Repository

# An error about one entry starts with its path: `context.explain.summary: …`, `context.explain: …`.
_ENTRY_ERROR = re.compile(r"context\.([a-z0-9][a-z0-9_-]{0,63})(?=[.\[:]|$)")


class ContextStatus(StrEnum):
    VALID = "valid"  # in context.json without errors: its link answers
    INVALID = "invalid"  # in context.json with errors: its link says what they are
    MISSING = "missing"  # not in the default branch's context.json (paused earlier, or used on another branch)


class FileStatus(StrEnum):
    VALID = "valid"
    INVALID = "invalid"
    MISSING = "missing"  # the default branch has no context.json
    UNCHECKED = "unchecked"  # not read yet (no push or install has been processed for the default branch)


class ContextState(Struct):
    """One context id of a repository."""

    context_id: str
    status: Annotated[ContextStatus, Meta(description="Its state in the default branch's context.json.")]
    summary: str | None
    errors: Annotated[list[str], Meta(description="What is wrong with this entry, each with its JSON path.")]
    paused: Annotated[bool, Meta(description="Paused: visitors get its last answer, no new (paid) answers.")]
    link: Annotated[str | None, Meta(description="The visitor link on the default branch (valid contexts).")]


@dataclass(frozen=True)
class RepoContexts:
    """The default branch's context.json as a whole, and each context id."""

    file: FileStatus
    file_errors: list[str]  # errors about the file rather than one entry (JSON syntax, size, unknown keys...)
    contexts: list[ContextState]

    def find(self, context_id: str) -> ContextState | None:
        return next((c for c in self.contexts if c.context_id == context_id), None)


async def repo_contexts(session: AsyncSession, repo: Repository, public_base: str, since: date) -> RepoContexts:
    """The repository's contexts; `since`: ids clicked from that day on are listed even if the file lost them."""
    outline = await latest_outline(session, repo.id, repo.default_branch) if repo.default_branch else None
    paused = await paused_context_ids(session, repo.id)
    used = await used_context_ids(session, repo.id, since)
    return contexts_of(repo, outline, paused | used, paused, public_base)


def contexts_of(
    repo: Repository,
    outline: tuple[ContextFileStatus, dict[str, Any], list[str]] | None,
    also: set[str],
    paused: set[str],
    public_base: str,
) -> RepoContexts:
    """Entries of the file first, in its order; then the other ids in `also`, sorted."""
    status, entries, errors = outline if outline is not None else (None, {}, [])
    by_entry: dict[str, list[str]] = {}
    file_errors = []
    for error in errors:
        match = _ENTRY_ERROR.match(error)
        if match:
            by_entry.setdefault(match.group(1), []).append(error)
        else:
            file_errors.append(error)
    states = []
    for context_id in [*entries, *(i for i in by_entry if i not in entries)]:
        valid = context_id in entries  # an entry that passed is served, whatever else the file got wrong
        states.append(
            ContextState(
                context_id=context_id,
                status=ContextStatus.VALID if valid else ContextStatus.INVALID,
                summary=(entries.get(context_id) or {}).get("summary"),
                errors=by_entry.get(context_id, []),
                paused=context_id in paused,
                link=visitor_link(public_base, repo.owner, repo.name, None, context_id) if valid else None,
            )
        )
    listed = {state.context_id for state in states}
    for context_id in sorted(also - listed):
        states.append(ContextState(context_id, ContextStatus.MISSING, None, [], context_id in paused, None))
    return RepoContexts(FileStatus(status.value) if status else FileStatus.UNCHECKED, file_errors, states)
