"""The operator view's pages: /dashboard/operator (every owner account) and one account with its adjustment form.

Only OPERATOR_LOGINS reach them (`operator_viewer`; anyone else signed in gets 404). Mounted beside the
owner pages rather than under their router, so that guard is the only one (see app.operator.routes).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Annotated
from urllib.parse import quote

from litestar import Router, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery, Parameter
from litestar.response import Redirect, Response
from msgspec import Struct

from app.auth.middleware import RESPONSE_COOKIES
from app.auth.viewer import Viewer
from app.billing.adjustments import AdjustmentExceedsBalance, AdjustmentKeyReused, InvalidAdjustment, adjustment_request
from app.db.engine import Sessions
from app.guards import operator_viewer
from app.operator.service import AccountDetail, account_detail, make_adjustment, overview
from app.operator.views import OperatorAccount, OperatorAccounts, operator_account, operator_accounts
from app.pages import html_response
from app.settings import Settings
from dashboard.pages import render
from github_app.web import repo_url

PRIVATE = {"Cache-Control": "private, no-store"}
_LOGIN = Parameter(max_length=100)


@dataclass(frozen=True)
class OperatorPage:
    viewer: Viewer
    listing: OperatorAccounts


@dataclass(frozen=True)
class AdjustmentForm:
    """What the form shows: a fresh idempotency key, or what was sent when it is shown again with an error."""

    amount_usd: str = ""
    reason: str = ""
    idempotency_key: str = field(default_factory=lambda: uuid.uuid4().hex)
    error: str | None = None


@dataclass(frozen=True)
class OperatorAccountPage:
    viewer: Viewer
    account: OperatorAccount
    detail: AccountDetail
    github_web: str
    form: AdjustmentForm
    adjusted_id: int | None  # the entry just made, shown as done

    def repo_url(self, full_name: str) -> str:
        return repo_url(self.github_web, full_name)


def account_path(login: str) -> str:
    """The operator view of one account (never the owner's own dashboard)."""
    return f"/dashboard/operator/accounts/{quote(login, safe='')}"


def activity(account: OperatorAccount) -> str:
    """`2026-11-28 14:03 · webhook`; a day of visitor clicks has no time of its own."""
    if account.last_activity_at is None:
        return "never"
    when = account.last_activity_at.strftime(
        "%Y-%m-%d" if account.last_activity == "visitor clicks" else "%Y-%m-%d %H:%M"
    )
    return f"{when} · {account.last_activity}"


def _render(template: str, **values: object) -> str:
    return render(template, account_path=account_path, activity=activity, **values)


@get("/", include_in_schema=False, media_type="text/html")
async def operator_page(
    viewer: NamedDependency[Viewer], sessions: NamedDependency[Sessions], settings: NamedDependency[Settings]
) -> Response[str]:
    """Every owner account with its money, repositories and last activity, and the totals."""
    page = OperatorPage(viewer, operator_accounts(await overview(sessions), settings.github_web_base))
    return html_response(_render("operator.html", title="Operator", page=page), headers=PRIVATE)


async def _account_response(
    viewer: Viewer,
    sessions: Sessions,
    settings: Settings,
    login: str,
    form: AdjustmentForm,
    *,
    adjusted_id: int | None = None,
    status_code: int = 200,
) -> Response[str]:
    detail = await account_detail(sessions, login)
    web = settings.github_web_base
    page = OperatorAccountPage(viewer, operator_account(detail.row, web), detail, web, form, adjusted_id)
    body = _render("operator_account.html", title=f"Operator · {detail.row.login}", page=page)
    return html_response(body, status_code=status_code, headers=PRIVATE)


@get("/accounts/{login:str}", include_in_schema=False, media_type="text/html")
async def operator_account_page(
    login: Annotated[str, _LOGIN],
    viewer: NamedDependency[Viewer],
    sessions: NamedDependency[Sessions],
    settings: NamedDependency[Settings],
    adjusted: FromQuery[int | None] = None,
) -> Response[str]:
    """One account: its figures, repositories, ledger (with who adjusted what) and the adjustment form."""
    return await _account_response(viewer, sessions, settings, login, AdjustmentForm(), adjusted_id=adjusted)


class AdjustmentFormData(Struct):
    amount_usd: str = ""
    reason: str = ""
    idempotency_key: str = ""
    csrf_token: str = ""  # checked by the guard (app.auth.viewer.check_csrf)


@post("/accounts/{login:str}/adjustments", include_in_schema=False, status_code=303, media_type="text/html")
async def operator_adjust(
    login: Annotated[str, _LOGIN],
    data: Annotated[AdjustmentFormData, Body(media_type=RequestEncodingType.URL_ENCODED)],
    viewer: NamedDependency[Viewer],
    sessions: NamedDependency[Sessions],
    settings: NamedDependency[Settings],
) -> Response[str] | Redirect:
    """Record the adjustment and show the account again; a refused one is shown in red above the form as sent."""
    try:
        request = adjustment_request(data.amount_usd, data.reason, by=viewer.login, key=data.idempotency_key or None)
        account, made = await make_adjustment(sessions, login, request)
    except (InvalidAdjustment, AdjustmentExceedsBalance, AdjustmentKeyReused) as exc:
        form = AdjustmentForm(data.amount_usd, data.reason, error=exc.detail)
        return await _account_response(viewer, sessions, settings, login, form, status_code=exc.status_code)
    return Redirect(f"{account_path(account.login)}?adjusted={made.entry_id}", status_code=303, headers=PRIVATE)


operator_router = Router(
    path="/dashboard/operator",
    route_handlers=[operator_page, operator_account_page, operator_adjust],
    guards=[operator_viewer],
    middleware=[RESPONSE_COOKIES],  # a renewed session's cookie, or a dead one's removal
    tags=["dashboard"],
)
