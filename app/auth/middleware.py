"""Cookies decided while a request is answered, outside the handler (a renewed or a dead session).

Guards and dependencies cannot touch the response, so they leave the cookie in the request's scope and
this middleware adds it to whatever response goes out (a page, a redirect to /login or an error).
Routers whose routes use sessions list it in their `middleware`; the visitor-link hot path never runs it.
"""

from __future__ import annotations

from typing import Any

from litestar.datastructures import Cookie
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

_COOKIES_KEY = "contextjson.response_cookies"


def set_response_cookie(connection: Any, cookie: Cookie) -> None:
    """Send `cookie` with this request's response (the last one set for a name wins)."""
    state = connection.scope.setdefault("state", {})
    state.setdefault(_COOKIES_KEY, {})[cookie.key] = cookie


class ResponseCookiesMiddleware(ASGIMiddleware):
    """Adds the cookies `set_response_cookie` left to the response's headers."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        async def send_with_cookies(message: Message) -> None:
            if message["type"] == "http.response.start":
                cookies: dict[str, Cookie] = scope.get("state", {}).get(_COOKIES_KEY) or {}  # type: ignore[call-overload]
                if cookies:
                    headers = list(message.get("headers") or [])
                    headers += [cookie.to_encoded_header() for cookie in cookies.values()]
                    message["headers"] = headers  # type: ignore[typeddict-unknown-key]
            await send(message)

        await next_app(scope, receive, send_with_cookies)


RESPONSE_COOKIES = ResponseCookiesMiddleware()
