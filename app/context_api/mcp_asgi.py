"""A Litestar response that hands the request to an ASGI app: how the MCP SDK's transport answers a POST that our
own handler has already authenticated and routed.

The handler has read nothing of the body, so the SDK reads it from `receive` itself; Litestar's middleware
(security headers, metrics) still wraps `send`.
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
    def __init__(self, app: ASGIApp) -> None:  # no body, status or headers of its own: the app sends them
        self._delegate = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._delegate(scope, receive, send)


class ASGIAppResponse(Response[None]):
    """The response of `app` (an ASGI application) to this very request."""

    def __init__(self, app: ASGIApp) -> None:
        super().__init__(None)
        self.app = app

    def to_asgi_response(self, app: Litestar | None, request: Request[Any, Any, Any], **_: Any) -> ASGIResponse:
        return _Delegate(self.app)
