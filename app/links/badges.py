"""What a README badge says: read from what the service already stored, never from GitHub, never written.

- a context badge (`…/context/{id}/badge.svg`): the id in blue when the branch's latest context.json has
  that context; in red ("{id}: invalid") when it is there with errors; grey when the file or the context
  is not there, or the repository is not served (one word, "unavailable"). A private repository's badge
  is marked with it (`Badge.private`): only a visitor admitted to it sees it, anyone else sees
  "unavailable", exactly as for a repository that does not exist. A branch never checked yet shows the id
  in blue (a click will read it) but is cached briefly, so the badge catches up once it is known.
- a repository badge (`/{owner}/{repo}[/tree/{branch}]/badge.svg`): "N contexts" on the same rules.

Grey and red badges are cached for a minute, blue ones for five (see app.links.badge_http).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import repository as repo_sql
from app.accounts.old_names import find_by_old_name
from app.accounts.visibility import Visibility, installation_of, visibility
from app.context_files import repository as ctx_sql
from app.context_files.validation import child_path, is_context_id
from app.db.models import ContextFileStatus, Repository
from app.links.badge import BadgeColor
from app.links.names import is_repository_name
from app.links.refname import InvalidBranchName, check_branch_name
from app.private_repos.access import PrivateRepo

LABEL = "contextjson"
SETTLED_SECONDS = 300  # a ready badge: what shields.io-like services use, and what GitHub's proxy honours
CHANGING_SECONDS = 60  # grey, red or not yet known: the owner is likely fixing it right now
_MAX_ID_CHARS = 40


@dataclass(frozen=True)
class Badge:
    message: str
    color: BadgeColor
    max_age: int
    label: str = LABEL
    # The repository when it is private: the badge is shown only to a visitor admitted to it.
    private: PrivateRepo | None = None


UNAVAILABLE = Badge("unavailable", BadgeColor.UNKNOWN, CHANGING_SECONDS)
NO_FILE = Badge("no context.json", BadgeColor.UNKNOWN, CHANGING_SECONDS)
NOT_FOUND = Badge("not found", BadgeColor.UNKNOWN, CHANGING_SECONDS)  # a link no context.json could satisfy


async def context_badge(session: AsyncSession, owner: str, repo: str, branch: str | None, context_id: str) -> Badge:
    """The badge of one context link (branch None: the default branch)."""
    if not is_context_id(context_id) or not _valid_branch(branch):
        return NOT_FOUND
    found = await _served_repository(session, owner, repo)
    if found is None:
        return UNAVAILABLE
    return _marked(found, await _context_badge(session, found, branch, context_id))


async def _context_badge(session: AsyncSession, found: Repository, branch: str | None, context_id: str) -> Badge:
    shown = context_id[:_MAX_ID_CHARS]
    outline = await _outline(session, found, branch)
    if outline is None:  # not checked yet: no claim either way
        return Badge(shown, BadgeColor.READY, CHANGING_SECONDS)
    status, entries, errors = outline
    if context_id in entries:
        return Badge(shown, BadgeColor.READY, SETTLED_SECONDS)
    if status is ContextFileStatus.MISSING:
        return NO_FILE
    if _mentioned(errors, child_path("context", context_id)):
        return Badge(f"{shown}: invalid", BadgeColor.INVALID, CHANGING_SECONDS)
    return Badge(f"{shown}: not found", BadgeColor.UNKNOWN, CHANGING_SECONDS)


async def repository_badge(session: AsyncSession, owner: str, repo: str, branch: str | None) -> Badge:
    """The badge of a repository: how many contexts its branch (None: the default one) offers."""
    if not _valid_branch(branch):
        return NOT_FOUND
    found = await _served_repository(session, owner, repo)
    if found is None:
        return UNAVAILABLE
    return _marked(found, await _repository_badge(session, found, branch))


async def _repository_badge(session: AsyncSession, found: Repository, branch: str | None) -> Badge:
    outline = await _outline(session, found, branch)
    if outline is None:
        return Badge("not checked yet", BadgeColor.UNKNOWN, CHANGING_SECONDS)
    status, entries, errors = outline
    if status is ContextFileStatus.MISSING:
        return NO_FILE
    count = f"{len(entries)} context{'s' if len(entries) != 1 else ''}"
    if errors:
        problems = f"{len(errors)} error{'s' if len(errors) != 1 else ''}"
        return Badge(f"{count}, {problems}", BadgeColor.INVALID, CHANGING_SECONDS)
    return Badge(count, BadgeColor.READY, SETTLED_SECONDS)


async def _served_repository(session: AsyncSession, owner: str, repo: str) -> Repository | None:
    """The repository under this name (or a former one: READMEs keep old URLs) if it is served, public or private."""
    if not is_repository_name(owner, repo):
        return None
    found = await repo_sql.find_repository(session, owner, repo)
    if found is None or not found.active:
        found = await find_by_old_name(session, owner, repo) or found
    seen = visibility(found, await installation_of(session, found))
    return found if seen in (Visibility.PUBLIC, Visibility.PRIVATE) else None


def _marked(found: Repository, badge: Badge) -> Badge:
    """A private repository's badge carries the repository, so it is shown only to visitors admitted to it."""
    return replace(badge, private=PrivateRepo.of(found)) if found.private else badge


async def _outline(
    session: AsyncSession, repo: Repository, branch: str | None
) -> tuple[ContextFileStatus, dict[str, Any], list[str]] | None:
    branch = branch or repo.default_branch
    if not branch:
        return None
    assert repo.id is not None
    return await ctx_sql.latest_outline(session, repo.id, branch)


def _valid_branch(branch: str | None) -> bool:
    if branch is None:
        return True
    try:
        check_branch_name(branch)
    except InvalidBranchName:
        return False
    return True


def _mentioned(errors: list[str], path: str) -> bool:
    """Whether any stored error ("path: message") is about `path` or something inside it."""
    return any(error.startswith((f"{path}:", f"{path}.", f"{path}[")) for error in errors)
