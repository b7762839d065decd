"""GitHub's rules for the owner and repository names in a link, and the check of every name a link holds."""

from __future__ import annotations

import re

from app.context_files.validation import is_context_id
from app.links import errors
from app.links.refname import InvalidBranchName, check_branch_name

# Logins are letters, digits and single hyphens; repository names add "." and "_".
OWNER_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
REPO_NAME = re.compile(r"^(?!\.{1,2}$)[A-Za-z0-9._-]{1,100}$")


def is_repository_name(owner: str, repo: str) -> bool:
    """Whether owner/repo could name a GitHub repository."""
    return OWNER_NAME.match(owner) is not None and REPO_NAME.match(repo) is not None


def check_names(owner: str, repo: str, branch: str | None, context_id: str) -> None:
    """Raise the link error for an owner, repository, branch or context id that cannot name anything."""
    if not OWNER_NAME.match(owner) or not REPO_NAME.match(repo):
        raise errors.InvalidRepositoryName(f'"{owner[:40]}/{repo[:100]}" is not a GitHub repository name.')
    if branch is not None:
        try:
            check_branch_name(branch)
        except InvalidBranchName as exc:
            raise errors.InvalidBranchName(
                f"The branch in this link is not a valid git branch name: it {exc}."
            ) from None
    if not is_context_id(context_id):
        raise errors.ContextNotFound(f'"{context_id[:80]}" is not a context id.')
