"""Who may call a route. Guards decide access; handlers never repeat the check.

Each router states its guards: visitor links, badges, result pages and webhooks are open to anyone
(`ANONYMOUS`; webhooks prove themselves by signature instead); `/metrics` is for the `operator`. The
dashboard and `/api` are for a signed-in viewer (`logged_in`), who reaches only the accounts GitHub says
they may act for: handlers load an account with `viewer_account`, which answers 404 for any other. The
operator view (`/dashboard/operator`, `/api/operator`) is for OPERATOR_LOGINS (`operator_viewer`); being
an operator reaches no more accounts through `viewer_account`.
"""

from __future__ import annotations

import hmac
import ipaddress
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotFoundException
from litestar.handlers import BaseRouteHandler
from litestar.types import Guard
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.repository import account_among_by_login, accounts_among
from app.auth.identify import AUTHENTICATORS, require_viewer
from app.auth.viewer import Viewer, current_viewer
from app.db.models import Account
from app.errors import AppError, Forbidden, Unauthorized

_PROXY_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")


# Anyone: the routes serve only what is public. No guard runs at all, so the visitor-link hot path pays
# nothing for saying so (bench/link_hit.py).
ANONYMOUS: list[Guard] = []


async def logged_in(connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler) -> None:
    """A signed-in viewer: pages send anonymous visitors to /login?next=<page>, /api answers 401.

    A form or API call that changes something with the session cookie must also carry its CSRF token.
    """
    await require_viewer(connection)


async def operator_viewer(connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler) -> None:
    """A signed-in viewer whose GitHub login is in OPERATOR_LOGINS (any case): the operator view.

    Anyone else signed in gets the 404 of an address that serves nothing (before the CSRF check, so not even
    a form post tells them the view exists); anonymous visitors go to /login like on every owner page.
    """
    viewer = await current_viewer(connection, AUTHENTICATORS)
    if viewer is not None and not viewer.is_operator:
        raise NotFoundException()
    await require_viewer(connection)


class AccountNotFound(AppError):
    status_code = 404
    code = "account.not_found"
    title = "No such account"


class AccountNotChosen(AppError):
    status_code = 400
    code = "account.not_chosen"


async def viewer_account(session: AsyncSession, viewer: Viewer, login: str | None) -> Account:
    """The account `login` names if the viewer may reach it, else 404 (whether or not it exists).

    Without a login: the viewer's own account, or the only one they reach.
    """
    if login:
        account = await account_among_by_login(session, viewer.account_ids, login)
        if account is None:
            raise AccountNotFound(f"There is no account {login!r} that you can see.")
        return account
    reachable = await accounts_among(session, viewer.account_ids)
    own = [account for account in reachable if account.github_id == viewer.github_user_id]
    if own or len(reachable) == 1:
        return (own or reachable)[0]
    if not reachable:
        raise AccountNotFound(
            "You have no account here yet: install the GitHub App on your account, or on an organisation you "
            "administer, and it appears here."
        )
    logins = ", ".join(account.login for account in reachable)
    raise AccountNotChosen(f"You can reach several accounts ({logins}): choose one with ?account=<login>.")


def operator(connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler) -> None:
    """The operator: `Authorization: Bearer <METRICS_TOKEN>` when that is set, else a request made on this machine.

    Without a token only a loopback client address with no proxy header counts: a reverse proxy on the
    same host forwards public requests from a loopback address, but adds one.
    """
    token = connection.app.state.settings.metrics_token
    if token:
        if not _bearer_matches(connection, token):
            raise Unauthorized(
                "/metrics needs Authorization: Bearer <METRICS_TOKEN>",
                code="metrics.unauthorized",
                headers={"WWW-Authenticate": "Bearer"},
            )
    elif not _is_local(connection):
        raise Forbidden(
            "/metrics answers local requests only; set METRICS_TOKEN to scrape it", code="metrics.forbidden"
        )


def _bearer_matches(connection: ASGIConnection[Any, Any, Any, Any], token: str) -> bool:
    scheme, _, value = connection.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode())


def _is_local(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    if any(name in connection.headers for name in _PROXY_HEADERS):
        return False
    host = connection.client.host if connection.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
