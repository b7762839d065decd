"""A repository's settings as the API and the dashboard show them: its monthly cap and its contexts."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from msgspec import Meta, Struct
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.summary import USD_PATTERN
from app.billing.money import usd_text
from app.context_settings.contexts import ContextState, FileStatus, repo_contexts
from app.db.models import Repository

_CAP = Meta(pattern=USD_PATTERN, description="US dollars, exact, as a decimal string")


class RepoSettings(Struct):
    """One repository of the account, with its monthly cap and its contexts."""

    repo: Annotated[str, Meta(description='"owner/name"')]
    account: Annotated[str, Meta(description="The GitHub login of the account that pays for it.")]
    private: bool
    default_branch: str | None
    monthly_cap_usd: Annotated[
        Annotated[str, _CAP] | None,
        Meta(description="Most this repository's answers may cost per calendar month (UTC); null: no cap."),
    ]
    context_file: Annotated[FileStatus, Meta(description="The default branch's latest checked context.json.")]
    errors: Annotated[list[str], Meta(description="Problems with context.json as a whole.")]
    contexts: list[ContextState]


async def repo_settings(
    session: AsyncSession, repo: Repository, account_login: str, *, public_base: str, since: date
) -> RepoSettings:
    """The settings of one repository (contexts clicked since `since` are listed even if context.json lost them)."""
    contexts = await repo_contexts(session, repo, public_base, since)
    cap = repo.monthly_cap_micros
    return RepoSettings(
        repo=repo.full_name,
        account=account_login,
        private=repo.private,
        default_branch=repo.default_branch,
        monthly_cap_usd=usd_text(cap) if cap is not None else None,
        context_file=contexts.file,
        errors=contexts.file_errors,
        contexts=contexts.contexts,
    )
