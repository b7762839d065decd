"""A Litestar response that hands the request to an ASGI app: how the MCP SDK's transport answers a POST that our
own handler has already authenticated, routed and checked.

The handler has read the body already, so the app is given it again as the request's one body message;
Litestar's middleware (security headers, metrics) still wraps `send`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Litestar, Request
from litestar.response import Response
from litestar.response.base import ASGIResponse
from litestar.types import Receive, Scope, Send

# Any ASGI application (the SDK's are typed with Starlette's scope types, which are Litestar's in other words).
ASGIApp = Callable[[Any, Any, Any], Awaitable[None]]


class _Delegate(ASGIResponse):
    def __init__(self, app: ASGIApp, body: bytes) -> None:  # no status or headers of its own: the app sends them
        self._delegate, self._body = app, body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        replayed = False

        async def receive_again() -> Any:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": self._body, "more_body": False}
            return await receive()  # the disconnect, when the caller leaves

        await self._delegate(scope, receive_again, send)


class ASGIAppResponse(Response[None]):
    """The response of `app` (an ASGI application) to this very request, whose body was `body`."""

    def __init__(self, app: ASGIApp, body: bytes) -> None:
        super().__init__(None)
        self.app, self.body = app, body

    def to_asgi_response(self, app: Litestar | None, request: Request[Any, Any, Any], **_: Any) -> ASGIResponse:
        return _Delegate(self.app, self.body)
