"""An owner's repository settings: GET /api/repos, PATCH a repository's monthly cap, PATCH a context's pause."""

from __future__ import annotations

from typing import Annotated

from litestar import get, patch
from litestar.di import NamedDependency
from litestar.params import Body, FromPath, QueryParameter
from msgspec import Meta, Struct
from sqlalchemy.ext.asyncio import AsyncSession

from app.api import examples
from app.api.problems import READ_PROBLEMS, WRITE_PROBLEMS
from app.auth.viewer import Viewer
from app.billing.budget import month_start
from app.context_settings.access import RepoNotFound, active_repositories, viewer_repository
from app.context_settings.contexts import ContextState
from app.context_settings.service import InvalidCap, UnknownContext, change_cap, change_pause
from app.context_settings.views import RepoSettings, repo_settings
from app.db.models import Account, Repository
from app.guards import AccountNotChosen, AccountNotFound, viewer_account
from app.links.invalidation import InvalidationBus
from app.openapi import (
    INVALID_REQUEST,
    codes_by_status,
    documented,
    problem_responses,
    request_example,
    response_example,
)
from app.settings import Settings


class RepoChange(Struct):
    """A new monthly cap for the repository."""

    monthly_cap_usd: Annotated[
        str | None,
        Meta(description='Dollars per calendar month, a decimal string ("12.50"); null: no cap; "0": no new answers.'),
    ]


class ContextChange(Struct):
    """Pause or resume a context."""

    paused: Annotated[bool, Meta(description="true: visitors get its last answer and nothing new is paid for.")]


async def _settings(session: AsyncSession, repo: Repository, settings: Settings) -> RepoSettings:
    account = await session.get(Account, repo.account_id)
    assert account is not None
    return await repo_settings(
        session, repo, account.login, public_base=settings.public_base, since=month_start().date()
    )


@get(
    "/repos",
    summary="Repositories and their settings",
    description="The account's repositories with their monthly cap and each context's state (valid, paused).",
    responses=problem_responses(INVALID_REQUEST, READ_PROBLEMS, codes_by_status(AccountNotFound, AccountNotChosen)),
    operation_class=documented(response_example(200, [examples.REPO])),
)
async def get_repos(
    session: NamedDependency[AsyncSession],
    viewer: NamedDependency[Viewer],
    settings: NamedDependency[Settings],
    account: Annotated[
        str | None, QueryParameter(description="The account's GitHub login; default: your own.", max_length=100)
    ] = None,
) -> list[RepoSettings]:
    """Every repository the App can see on the account."""
    chosen = await viewer_account(session, viewer, account)
    assert chosen.id is not None
    return [await _settings(session, repo, settings) for repo in await active_repositories(session, chosen.id)]


@patch(
    "/repos/{owner:str}/{repo:str}",
    summary="Set a repository's monthly cap",
    responses=problem_responses(INVALID_REQUEST, WRITE_PROBLEMS, codes_by_status(RepoNotFound, InvalidCap)),
    operation_class=documented(
        request_example(examples.REPO_CHANGE), response_example(200, examples.REPO), examples.REPO_NAMES
    ),
)
async def patch_repo(
    data: Annotated[RepoChange, Body()],
    session: NamedDependency[AsyncSession],
    viewer: NamedDependency[Viewer],
    settings: NamedDependency[Settings],
    owner: FromPath[str],
    repo: FromPath[str],
) -> RepoSettings:
    """The next generation's reservation is checked against the new cap."""
    found = await viewer_repository(session, viewer, owner, repo)
    await change_cap(session, found, data.monthly_cap_usd)
    await session.commit()
    return await _settings(session, found, settings)


@patch(
    "/repos/{owner:str}/{repo:str}/contexts/{context_id:str}",
    summary="Pause or resume a context",
    description="Takes effect at once for visitor links on every web process.",
    responses=problem_responses(INVALID_REQUEST, WRITE_PROBLEMS, codes_by_status(RepoNotFound, UnknownContext)),
    operation_class=documented(
        request_example(examples.CONTEXT_CHANGE), response_example(200, examples.CONTEXT), examples.REPO_NAMES
    ),
)
async def patch_context(
    data: Annotated[ContextChange, Body()],
    session: NamedDependency[AsyncSession],
    viewer: NamedDependency[Viewer],
    settings: NamedDependency[Settings],
    invalidation: NamedDependency[InvalidationBus],
    owner: FromPath[str],
    repo: FromPath[str],
    context_id: FromPath[str],
) -> ContextState:
    """A paused context answers visitors with its last answer (or a page saying so) and costs nothing."""
    found = await viewer_repository(session, viewer, owner, repo)
    state = await change_pause(session, invalidation, found, context_id, data.paused, public_base=settings.public_base)
    await session.commit()  # the repository's cached links are dropped everywhere once this commits
    return state
