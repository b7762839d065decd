"""Who may call a route. Guards decide access; handlers never repeat the check.

Each router states its guards: visitor links, badges, result pages and webhooks are open to anyone
(`ANONYMOUS`; webhooks prove themselves by signature instead); `/metrics` is for the `operator`. Signed-in
owners and API keys get their guards with the features that bring them (dashboard login, /v1 keys).
"""

from __future__ import annotations

import hmac
import ipaddress
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler
from litestar.types import Guard

from app.errors import Forbidden, Unauthorized

_PROXY_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")


# Anyone: the routes serve only what is public. No guard runs at all, so the visitor-link hot path pays
# nothing for saying so (bench/link_hit.py).
ANONYMOUS: list[Guard] = []


def operator(connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler) -> None:
    """The operator: `Authorization: Bearer <METRICS_TOKEN>` when that is set, else a request made on this machine.

    Without a token only a loopback client address with no proxy header counts: a reverse proxy on the
    same host forwards public requests from a loopback address, but adds one.
    """
    token = connection.app.state.clients.settings.metrics_token
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
