"""GET /metrics (Prometheus) for the operator only.

With METRICS_TOKEN set, a scrape must send `Authorization: Bearer <METRICS_TOKEN>`. Without it, only
requests made on the machine itself are answered: a loopback client address and no proxy header (a
reverse proxy on the same host forwards public requests from a loopback address, but adds one).
"""

from __future__ import annotations

import hmac
import ipaddress
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler
from litestar.plugins.prometheus import PrometheusController

from app.errors import Forbidden, Unauthorized

_PROXY_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")


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


def metrics_guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Let the operator's scraper in; everyone else gets 401 (token set) or 403 (no token)."""
    token = connection.app.state.runtime.settings.metrics_token
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


class MetricsController(PrometheusController):
    """Litestar's Prometheus endpoint behind `metrics_guard`."""

    guards = [metrics_guard]  # noqa: RUF012  (Litestar reads this class attribute)
