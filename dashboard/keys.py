"""The API keys page: list, create (the key is shown on the answer to the form, once) and revoke."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated
from urllib.parse import quote

from litestar import get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, Parameter, QueryParameter
from litestar.response import Redirect, Response
from msgspec import Struct

from app.accounts.summary import AccountSummary, summarize
from app.api_keys import repository as repo
from app.api_keys.owner import create_viewers_key, revoke_viewers_key
from app.api_keys.service import InvalidApiKeyRequest
from app.api_keys.views import ApiKeyView, CreatedApiKey, created_view, key_view
from app.auth.viewer import Viewer
from app.context_api.snippets import ApiSnippets, plain_api_snippets
from app.db.engine import Sessions
from app.db.models import MAX_ROW_ID
from app.guards import viewer_account
from app.models_catalog import ModelCatalog
from app.pages import html_response, new_nonce
from app.settings import Settings
from dashboard.pages import render

PRIVATE = {"Cache-Control": "private, no-store"}  # the answer to the create form holds a secret
_ACCOUNT = QueryParameter(description="The account's GitHub login; default: your own.", max_length=100)


@dataclass(frozen=True)
class KeysPage:
    viewer: Viewer
    account: AccountSummary
    keys: list[ApiKeyView]
    api_base: str
    api: ApiSnippets  # the plain OpenAI-compatible API, from code
    created: CreatedApiKey | None = None
    error: str | None = None
    revoked: bool = False
    form: dict[str, str] = field(default_factory=dict)


class KeyForm(Struct):
    name: str = ""
    monthly_cap_usd: str = ""
    csrf_token: str = ""  # checked by the guard (app.auth.viewer.check_csrf)


class RevokeForm(Struct):
    csrf_token: str = ""


async def _page(
    sessions: Sessions,
    settings: Settings,
    catalog: ModelCatalog,
    viewer: Viewer,
    login: str | None,
    status_code: int = 200,
    **extra: object,
) -> Response[str]:
    async with sessions() as session:
        account = await viewer_account(session, viewer, login)
        assert account.id is not None
        keys = [key_view(row) for row in await repo.live_keys_of_account(session, account.id)]
        summary = await summarize(session, account)
    api = plain_api_snippets(settings.public_base, catalog.default_model)
    page = KeysPage(viewer, summary, keys, api.base_url, api, **extra)  # type: ignore[arg-type]
    nonce = new_nonce()  # the copy buttons' script carries it
    text = render("keys.html", title="API keys", page=page, csp_nonce=nonce)
    return html_response(text, status_code=status_code, headers=PRIVATE, nonce=nonce)


@get("/keys", include_in_schema=False, media_type="text/html")
async def keys_page(
    viewer: NamedDependency[Viewer],
    sessions: NamedDependency[Sessions],
    settings: NamedDependency[Settings],
    catalog: NamedDependency[ModelCatalog],
    account: Annotated[str | None, _ACCOUNT] = None,
    revoked: Annotated[bool, QueryParameter(description="A key was just revoked.")] = False,
) -> Response[str]:
    return await _page(sessions, settings, catalog, viewer, account, revoked=revoked)


@post("/keys", include_in_schema=False, media_type="text/html", status_code=200)
async def keys_create(
    data: Annotated[KeyForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    viewer: NamedDependency[Viewer],
    sessions: NamedDependency[Sessions],
    settings: NamedDependency[Settings],
    catalog: NamedDependency[ModelCatalog],
    account: Annotated[str | None, _ACCOUNT] = None,
) -> Response[str]:
    """The new key is shown in this answer only (not behind a redirect: it must never be in a URL or history)."""
    try:
        async with sessions() as session:
            made = await create_viewers_key(
                session, settings.secret_key, viewer, account, data.name, data.monthly_cap_usd
            )
    except InvalidApiKeyRequest as exc:  # the page again, with the reason and what was typed
        form = {"name": data.name, "monthly_cap_usd": data.monthly_cap_usd}
        return await _page(sessions, settings, catalog, viewer, account, 400, error=exc.detail, form=form)
    created = created_view(made.row, made.key)
    return await _page(sessions, settings, catalog, viewer, account, created=created)


@post("/keys/{key_id:int}/revoke", include_in_schema=False, status_code=303)
async def keys_revoke(
    key_id: Annotated[int, Parameter(ge=1, le=MAX_ROW_ID)],
    data: Annotated[RevokeForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    viewer: NamedDependency[Viewer],
    sessions: NamedDependency[Sessions],
    account: Annotated[str | None, _ACCOUNT] = None,
) -> Redirect:
    async with sessions() as session:
        login = await revoke_viewers_key(session, viewer, account, key_id)
    return Redirect(f"/dashboard/keys?account={quote(login)}&revoked=true", status_code=303, headers=PRIVATE)


KEY_HANDLERS = [keys_page, keys_create, keys_revoke]
