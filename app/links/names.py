"""GitHub's rules for the owner and repository names in a link."""

from __future__ import annotations

import re

# Logins are letters, digits and single hyphens; repository names add "." and "_".
OWNER_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
REPO_NAME = re.compile(r"^(?!\.{1,2}$)[A-Za-z0-9._-]{1,100}$")


def is_repository_name(owner: str, repo: str) -> bool:
    """Whether owner/repo could name a GitHub repository."""
    return OWNER_NAME.match(owner) is not None and REPO_NAME.match(repo) is not None
