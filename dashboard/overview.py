"""The dashboard's first page: every account the viewer may reach with its money, or how to get one."""

from __future__ import annotations

from dataclasses import dataclass

from app.accounts.install import install_url
from app.accounts.summary import AccountSummary, reachable_summaries
from app.auth.viewer import Viewer
from app.db.engine import Sessions
from app.github_source import AppGitHub
from app.settings import Settings


@dataclass(frozen=True)
class Overview:
    viewer: Viewer
    accounts: list[AccountSummary]
    install_url: str | None  # shown when there is no account yet


async def overview(viewer: Viewer, sessions: Sessions, settings: Settings, github: AppGitHub) -> Overview:
    """The accounts and, when there are none, where to install the App (asked of GitHub holding no connection)."""
    async with sessions() as session:
        accounts = await reachable_summaries(session, viewer)
    return Overview(viewer, accounts, None if accounts else await install_url(settings, github))
