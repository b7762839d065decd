"""A minimal ASGI layer for the fakes: request/response objects and a regex router."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from tests.support.servers import answer_lifespan


class ApiError(Exception):
    """Raised by handlers to answer with a GitHub-style error body."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.message, self.extra = status, message, extra


@dataclass
class Request:
    """A fully read HTTP request."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    @classmethod
    def from_scope(cls, scope: dict[str, Any], body: bytes) -> Request:
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        return cls(scope["method"].upper(), scope["path"], query, headers, body)

    def json(self) -> Any:
        """The body parsed as JSON, or None when empty or not JSON."""
        try:
            return json.loads(self.body) if self.body else None
        except ValueError:
            return None


@dataclass
class Response:
    """A response; `chunks`, when set, is streamed instead of `body` (chunked encoding)."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    chunks: Iterable[bytes] | None = None


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Serialize `data` as GitHub does (application/json; charset=utf-8)."""
    return Response(
        status,
        json.dumps(data).encode(),
        {"content-type": "application/json; charset=utf-8", **(headers or {})},
    )


Handler = Callable[..., Response]


class Router:
    """Maps (method, full-match path regex) to handlers called with the regex groups."""

    def __init__(self) -> None:
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def route(self, method: str, pattern: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes.append((method, re.compile(pattern), handler))
            return handler

        return register

    def match(self, method: str, path: str) -> tuple[Handler, tuple[str | None, ...]] | None:
        for route_method, pattern, handler in self.routes:
            if route_method == method and (m := pattern.fullmatch(path)):
                return handler, m.groups()
        return None


def asgi_app(dispatch: Callable[[Request], Response]) -> Callable[..., Any]:
    """Wrap a synchronous dispatch function into an ASGI app (lifespan included)."""

    async def app(scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] == "lifespan":
            await answer_lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        response = dispatch(Request.from_scope(scope, body))
        headers = [(k.encode(), v.encode()) for k, v in response.headers.items()]
        if response.chunks is None:
            headers.append((b"content-length", str(len(response.body)).encode()))
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        if response.chunks is None:
            await send({"type": "http.response.body", "body": response.body})
            return
        for chunk in response.chunks:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    return app
