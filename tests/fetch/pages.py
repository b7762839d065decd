"""A raw ASGI app serving the pages the fetcher tests ask for (no framework, so every header is ours)."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qs

Scope = dict[str, Any]
PNG = b"\x89PNG\r\n\x1a\n\x00\x00"

# path -> (status, body, headers)
_FIXED: dict[str, tuple[int, bytes, dict[str, str]]] = {
    "/text": (200, "hello, world \u2713".encode(), {"content-type": "text/plain; charset=utf-8"}),
    "/json": (200, b'{"answer": 42}', {"content-type": "application/json"}),
    "/problem": (200, b'{"title": "x"}', {"content-type": "application/problem+json"}),
    "/latin1": (200, "caf\u00e9".encode("latin-1"), {"content-type": "text/plain; charset=ISO-8859-1"}),
    "/unknown-charset": (200, "caf\u00e9".encode(), {"content-type": "text/plain; charset=x-no-such-charset"}),
    "/binary": (200, PNG, {"content-type": "application/octet-stream"}),
    "/image": (200, PNG, {"content-type": "image/png"}),
    "/untyped-text": (200, b"plain words", {}),
    "/untyped-binary": (200, b"MZ\x00\x00\x01", {}),
    "/gzip": (200, b"\x1f\x8b\x08\x00", {"content-type": "text/plain", "content-encoding": "gzip"}),
    "/no-location": (302, b"", {}),
    "/not-modified": (304, b"", {}),
}


async def pages_app(scope: Scope, receive: Any, send: Any) -> None:
    """Serve lifespan events and the test pages."""
    if scope["type"] == "lifespan":
        await receive()  # startup
        await send({"type": "lifespan.startup.complete"})
        await receive()  # shutdown
        await send({"type": "lifespan.shutdown.complete"})
        return
    await _route(scope, send)


async def _route(scope: Scope, send: Any) -> None:
    path: str = scope["path"]
    query = {key: values[0] for key, values in parse_qs(scope["query_string"].decode()).items()}
    if path in _FIXED:
        return await _send(send, *_FIXED[path])
    if path == "/slow":
        return await _trickle(send)
    if path.startswith("/redirect/"):
        left = int(path.rsplit("/", 1)[1])  # /redirect/n redirects n times, then lands on /text
        return await _send(send, 302, b"", {"location": "/text" if left <= 1 else f"/redirect/{left - 1}"})
    if path == "/redirect-to":
        return await _send(send, int(query.get("status", "302")), b"", {"location": query["url"]})
    if path.startswith("/status/"):
        return await _send(send, int(path.rsplit("/", 1)[1]), b"nope", {"content-type": "text/plain"})
    if path == "/sized":
        body = query.get("char", "a").encode() * int(query["n"])
        return await _send(send, 200, body, {"content-type": "text/plain; charset=utf-8"})
    if path == "/host":
        host = dict(scope["headers"])[b"host"]
        return await _send(send, 200, host, {"content-type": "text/plain"})
    await _send(send, 404, b"no such page", {"content-type": "text/plain"})


async def _send(send: Any, status: int, body: bytes, headers: dict[str, str]) -> None:
    raw = [(b"content-length", str(len(body)).encode())]
    raw += [(name.encode(), value.encode()) for name, value in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


async def _trickle(send: Any) -> None:
    """Headers at once, then a byte every 0.2 s for 5 s: no single read is slow, the whole is."""
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    for _ in range(25):
        await send({"type": "http.response.body", "body": b"x", "more_body": True})
        await asyncio.sleep(0.2)
    await send({"type": "http.response.body", "body": b""})
