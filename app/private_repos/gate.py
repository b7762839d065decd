"""Letting one request see a private repository's link, badge or answer: a signed-in viewer GitHub says may read it.

Anyone else is answered exactly as for something that does not exist (the callers build that answer), so
a refusal never confirms that a private repository exists. Anonymous visitors of such an answer are offered
"Sign in with GitHub", back to the same address: whether the address is unknown or private, they see the
same page.
"""

from __future__ import annotations

from app.auth.identify import login_url, optional_viewer
from app.auth.viewer import Connection
from app.private_repos.access import PrivateRepo, RepoAccess

SIGN_IN = "Sign in with GitHub"
SIGN_IN_HINT = " If it is a private repository you can read, sign in with GitHub to see it."


async def admitted_login(connection: Connection, repo: PrivateRepo) -> str | None:
    """The GitHub login of this request's viewer when they may read `repo`; None for anyone else."""
    viewer = await optional_viewer(connection)
    if viewer is None or viewer.session_id_hash is None:  # anonymous, or an API key (no user token)
        return None
    access: RepoAccess = connection.app.state.repo_access
    return viewer.login if await access.can_read(viewer.session_id_hash, repo) else None


async def sign_in_offer(connection: Connection) -> tuple[str, list[tuple[str, str]]]:
    """For an anonymous visitor: a sentence and a link to sign in and come back here; nothing for anyone else."""
    if await optional_viewer(connection) is not None:
        return "", []
    return SIGN_IN_HINT, [(SIGN_IN, login_url(connection))]
