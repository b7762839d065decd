"""The official MCP SDK client (`streamable_http_client` + `ClientSession`) against the app, in this event loop."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx2
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client

from tests.conftest import Service
from tests.context_api.helpers import CONTEXT, HOST

MCP_PATH = CONTEXT + "/mcp"


@dataclass
class Seen:
    """What went over the wire: each response's content type, to tell SSE from JSON answers."""

    content_types: list[str] = field(default_factory=list)


@asynccontextmanager
async def mcp_session(
    service: Service, key: str | None, path: str = MCP_PATH, *, json_only: bool = False, seen: Seen | None = None
) -> AsyncIterator[ClientSession]:
    """An initialized ClientSession; `json_only`: a client that accepts only `application/json` (no SSE)."""
    seen = seen or Seen()

    async def accept_json_only(request: httpx2.Request) -> None:
        if json_only:
            request.headers["accept"] = "application/json"

    async def note(response: httpx2.Response) -> None:
        seen.content_types.append(response.headers.get("content-type", ""))

    headers = {"Authorization": f"Bearer {key}"} if key else {}
    http = httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=service.app),
        base_url=HOST,
        headers=headers,
        event_hooks={"request": [accept_json_only], "response": [note]},
        timeout=30,
    )
    async with (
        http,
        streamable_http_client(HOST + path, http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session
