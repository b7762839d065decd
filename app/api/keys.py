"""GET, POST /api/keys and DELETE /api/keys/{id}: the account's API keys.

Keys are managed with the dashboard's session only: a leaked key must not be able to mint more keys or
revoke the owner's others, so a request authenticated by a key gets 403 here (it may still list them).
"""

from __future__ import annotations

from typing import Annotated

from litestar import delete, get, post
from litestar.di import NamedDependency
from litestar.params import Body, Parameter, QueryParameter
from msgspec import Meta, Struct
from sqlalchemy.ext.asyncio import AsyncSession

from app.api import examples
from app.api.problems import READ_PROBLEMS, WRITE_PROBLEMS
from app.api_keys import repository as repo
from app.api_keys.owner import create_viewers_key, revoke_viewers_key
from app.api_keys.service import ApiKeyNotFound, InvalidApiKeyRequest
from app.api_keys.views import ApiKeyView, CreatedApiKey, created_view, key_view
from app.auth.viewer import Viewer
from app.db.models import MAX_ROW_ID
from app.errors import AppError
from app.guards import AccountNotChosen, AccountNotFound, viewer_account
from app.openapi import (
    INVALID_REQUEST,
    codes_by_status,
    documented,
    problem_responses,
    request_example,
    response_example,
)
from app.settings import Settings

_ACCOUNT = QueryParameter(description="The account's GitHub login; default: your own.", max_length=100)


class SessionRequired(AppError):
    status_code = 403
    code = "api_key.session_required"
    title = "Keys are managed from the dashboard"


class NewApiKey(Struct):
    name: Annotated[str, Meta(description="Where the key is used, e.g. “CI”.", max_length=200)]
    monthly_cap_usd: Annotated[
        str | None, Meta(description='Optional spend cap per calendar month, e.g. "20"; null: no cap.')
    ] = None


def _require_session(viewer: Viewer) -> None:
    if viewer.via != "session":
        raise SessionRequired("API keys are created and revoked with the dashboard's login, not with a key.")


_ACCOUNT_PROBLEMS = codes_by_status(AccountNotFound, AccountNotChosen)


@get(
    "/keys",
    summary="List API keys",
    responses=problem_responses(INVALID_REQUEST, READ_PROBLEMS, _ACCOUNT_PROBLEMS),
    operation_class=documented(response_example(200, [examples.KEY])),
)
async def list_keys(
    session: NamedDependency[AsyncSession],
    viewer: NamedDependency[Viewer],
    account: Annotated[str | None, _ACCOUNT] = None,
) -> list[ApiKeyView]:
    """The account's live keys, newest first (never the keys themselves)."""
    chosen = await viewer_account(session, viewer, account)
    assert chosen.id is not None
    return [key_view(row) for row in await repo.live_keys_of_account(session, chosen.id)]


@post(
    "/keys",
    summary="Create an API key",
    status_code=201,
    responses=problem_responses(
        INVALID_REQUEST, WRITE_PROBLEMS, _ACCOUNT_PROBLEMS, codes_by_status(InvalidApiKeyRequest, SessionRequired)
    ),
    operation_class=documented(request_example(examples.NEW_KEY), response_example(201, examples.CREATED_KEY)),
)
async def post_key(
    data: Annotated[NewApiKey, Body()],
    session: NamedDependency[AsyncSession],
    viewer: NamedDependency[Viewer],
    settings: NamedDependency[Settings],
    account: Annotated[str | None, _ACCOUNT] = None,
) -> CreatedApiKey:
    """A new key; the response is the only place its text ever appears."""
    _require_session(viewer)
    created = await create_viewers_key(session, settings.secret_key, viewer, account, data.name, data.monthly_cap_usd)
    return created_view(created.row, created.key)


@delete(
    "/keys/{key_id:int}",
    summary="Revoke an API key",
    status_code=204,
    responses=problem_responses(
        INVALID_REQUEST, WRITE_PROBLEMS, _ACCOUNT_PROBLEMS, codes_by_status(ApiKeyNotFound, SessionRequired)
    ),
)
async def delete_key(
    key_id: Annotated[int, Parameter(description="The key's id (from GET /api/keys).", ge=1, le=MAX_ROW_ID)],
    session: NamedDependency[AsyncSession],
    viewer: NamedDependency[Viewer],
    account: Annotated[str | None, _ACCOUNT] = None,
) -> None:
    """Revoked at once on every replica (keys are checked against the database on each request)."""
    _require_session(viewer)
    await revoke_viewers_key(session, viewer, account, key_id)
