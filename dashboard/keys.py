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
from app.db.engine import Sessions
from app.db.models import MAX_ROW_ID
from app.guards import viewer_account
from app.pages import html_response
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


async def _page(sessions: Sessions, settings: Settings, viewer: Viewer, login: str | None, **extra: object) -> str:
    async with sessions() as session:
        account = await viewer_account(session, viewer, login)
        assert account.id is not None
        keys = [key_view(row) for row in await repo.live_keys_of_account(session, account.id)]
        summary = await summarize(session, account)
    page = KeysPage(viewer, summary, keys, f"{settings.public_base}/v1", **extra)  # type: ignore[arg-type]
    return render("keys.html", title="API keys", page=page)


@get("/keys", include_in_schema=False, media_type="text/html")
async def keys_page(
    viewer: NamedDependency[Viewer],
    sessions: NamedDependency[Sessions],
    settings: NamedDependency[Settings],
    account: Annotated[str | None, _ACCOUNT] = None,
    revoked: Annotated[bool, QueryParameter(description="A key was just revoked.")] = False,
) -> Response[str]:
    return html_response(await _page(sessions, settings, viewer, account, revoked=revoked), headers=PRIVATE)


@post("/keys", include_in_schema=False, media_type="text/html", status_code=200)
async def keys_create(
    data: Annotated[KeyForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    viewer: NamedDependency[Viewer],
    sessions: NamedDependency[Sessions],
    settings: NamedDependency[Settings],
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
        page = await _page(sessions, settings, viewer, account, error=exc.detail, form=form)
        return html_response(page, status_code=400, headers=PRIVATE)
    created = created_view(made.row, made.key)
    return html_response(await _page(sessions, settings, viewer, account, created=created), headers=PRIVATE)


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
